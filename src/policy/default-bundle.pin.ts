// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "3068ff29979ff21eacbcf878a46b4209e908f70221f9d394e18c61eae9af7913";
export const DEFAULT_BUNDLE_WASM_SHA256 = "e76e612beb0f35039a01a4701236537a923929ade374f9cdaf5d8bce0489823c";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "4c9939f0640b8b45fe80c4d84f387defb87a9323c4b2f8a361c01576500bfebb";
