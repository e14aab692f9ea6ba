// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "ecd0c88ce48b6f8009d4f0d8cb1e8a581cb6f7e1f414658c2f3e1c5ecfdc0799";
export const DEFAULT_BUNDLE_WASM_SHA256 = "b9574e5e58bc0dd7a594c30f7f3cc64e9ba0ff86a176e929226b32d2d3204e9e";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "6733fa4779b60fee5cc72ad7374feb839eef1a701c60655d6bc1a8ea78abf139";
