// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "7256fae7fcfd76a7e8fb2dfb6651679499a91cdf3b2461013dd2c2564f1c565e";
export const DEFAULT_BUNDLE_WASM_SHA256 = "01d9d3f7b2cfdff66a1d6e3a2c1a50d75c36c9d6407c84640ae742af11662e76";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "c09b73159fe8df7cc02da97e967ae7040ce2ca98902c915e1810450085ec9a9b";
