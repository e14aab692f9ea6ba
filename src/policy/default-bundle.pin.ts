// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "85acc4685219ae816084bf3c9a878ac1bfe1da758ee31a049cf814c52207f100";
export const DEFAULT_BUNDLE_WASM_SHA256 = "92a8a694bfa8cceb33d670fd56e44215bf632fc9cf73fc2f985742fdcd8ba6a1";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "413383cc90caff859d52a56fe805fa66171c82eea2ed708b362208774bff0b8c";
