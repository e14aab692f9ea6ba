// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "d1cd6faec514148d5aed8ec6226843b6a7f75b22f3444087fe44bc7f18a8644c";
export const DEFAULT_BUNDLE_WASM_SHA256 = "9599b5020e04c3b04f3e468603b74a4c734dc426944ca92477f8d82051fd952c";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "3650a5a76f86d2ba5c9b9b83f41f0d9f3d88da33d68ba406c0c23cd021629e8f";
