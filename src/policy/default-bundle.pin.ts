// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "37a0e43b9cf3860e81e2834dc2d939e1c019188828a04522d29adcf8870ce3eb";
export const DEFAULT_BUNDLE_WASM_SHA256 = "488f0f00a78d7b837a1b002390ae4098fe23443b6a7e66f377542d0cb1962463";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "4d558a12ccd77961eb0647972245a320f796a501091e19d580a6b200f9cfd178";
