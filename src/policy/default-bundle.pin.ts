// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "f15528fe898a27909da01e9d9d1c7bb2055d8643d6ec0a6aae281d5fe9c4c3c8";
export const DEFAULT_BUNDLE_WASM_SHA256 = "4dd8b13f4e18edbbfd20790c0bf636149161bf7c054363a43fc24c5b970e4aa2";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "e29f06fdac3c278932eedd78523e643ff2247dc3ec259bf3a35d5d8c620250fa";
