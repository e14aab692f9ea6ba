// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "0bb6288447bc9153327cce5df4ca0910891e597ab94cbce33bb2d4c43865d2bb";
export const DEFAULT_BUNDLE_WASM_SHA256 = "98f1c421f0b49c9bd0c594fff9287168ef3f01be19a2e857b566ea45d30f9b65";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "7a87f10667a5cce0e096d45f51a39e3c0673f4c5a68fdc737bb1e4d216444c76";
