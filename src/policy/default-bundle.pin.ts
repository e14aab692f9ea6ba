// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "d2de89dc71fd524d5616bca6772384862a7f8076327a43c005013e1b5a10d679";
export const DEFAULT_BUNDLE_WASM_SHA256 = "37af4115301afa7f7e00303533e6b9f89019012dc6761552585f91d7b123903c";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "1f9b5ed0e57b1c681fb396e8355737beb3a3a1b17be8910652aa68f172e50e39";
