// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "eae6e335937eaf5f5bddd6eb2b58fc5153f40e76fd2859754ce76d3a3439175a";
export const DEFAULT_BUNDLE_WASM_SHA256 = "cd10f998b5ae1a494a7bb89486d55c76875c0f11214604121ce5b69e75ef8951";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "b7596b095ec999aaa20b9e180fde5497a04fae4752945e2867f1aa393724ac62";
