// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "4e3bdc4ad07dd604937446b48ad2ab1724a9e7c2f3da409ce7169cf4e95204f5";
export const DEFAULT_BUNDLE_WASM_SHA256 = "9f4631b698c5e02c5c1782d24d17074192a20c63e19840b33aec07c792b79e89";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "8537c17bba01a1a35e8c02f0dc564577033306fd76c022d949cd96b2a077625c";
