// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "fc98e071d899a4afff1150be501424bc2f32c7496d0ec3552f178412b7c24ea7";
export const DEFAULT_BUNDLE_WASM_SHA256 = "f6c2d838db0c49832daae2a361e12b2d78cfe3c60ea7b76d2a7f09fdb0a38a91";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "08523af194ba17c0c2f6f2d0f7abb04f14566365132d320992a4db0845dd085b";
