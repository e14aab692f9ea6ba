// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "5bbc0d7c2ff25451cba35157c5855afaba97e89bca7e2bdbaec51cffe056cb62";
export const DEFAULT_BUNDLE_WASM_SHA256 = "7d34ad058bec6297c5b569a9b12e04c7825c1a7561bb59ab19e85690a279dc4e";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "6b9f4a1452b5ff1d5d71810ebc1e630da818c93c869a9726cb55b257060ff4df";
