// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "292366858dc7fc1226058b6abf09d83a59123b8e1dd4a4b96e6e7d62c9dc52f5";
export const DEFAULT_BUNDLE_WASM_SHA256 = "72509049682742987886817e6c42b2d1b5e61e435a910fae574ef2f1e279ec3c";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "9fb9ef970e1c175b39073a15aac1ffe80ec116c8e4abaf983d96c3773f14403c";
