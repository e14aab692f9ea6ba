// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "b88ff52a19abd82e6f3b8ec4f7aa32d7afc507401cd8e54a7b95185bbbcb6382";
export const DEFAULT_BUNDLE_WASM_SHA256 = "f58a748356cefeba7fd6cd6d17527adb445a9177dbb63a27481f5581f8ae406e";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "7c08d6ac9cf039d306f439dd43913e5e9ef02d69fa2a9781d7fabd26d41ea5a4";
