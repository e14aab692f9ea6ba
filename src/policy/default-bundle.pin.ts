// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "7b86e546c001879d0ed226085cbe6be3bdfa6692dbe1a8b1c9d7710b5d3a700a";
export const DEFAULT_BUNDLE_WASM_SHA256 = "ac0027c0e7cf9be63f931246ef3ed13535a67e30ca6323f4413866b8bb781418";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "bc2dbf0d1dda950370a3aff06a21635c2d249a9d97cc4369834d14bb07f32b21";
