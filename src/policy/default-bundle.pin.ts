// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "9d859f30c1d8aac4f0af28e40be706fdfd3cfa5218de4223ec167e01a9f47337";
export const DEFAULT_BUNDLE_WASM_SHA256 = "388002b8b99578f1b90ceff1736b45d39b651e0e636a301da57997dedafbaa10";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "9b48141b183eb75c7234cdfc6b76c533d0763cc1fcf4d4f0643c055159395417";
