// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "9cea3bd2b8f8708fa17131bedff76232b9c51e3241e8d7d605da106aad6aed64";
export const DEFAULT_BUNDLE_WASM_SHA256 = "c94a64cfc2e875395c727928f1d946c462e9b4a519ddcc5bccc00e53af4d5c07";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "b5a773de83de0dbc59bc6b8e249ec98a9cc200190315b70d3e620668ef15d70e";
