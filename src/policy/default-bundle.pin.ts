// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "844a6a6bb1c613df0cce413c4ac9c4dd09a4ee5de422fa7943eeebe73fd1f721";
export const DEFAULT_BUNDLE_WASM_SHA256 = "1b14deae717a687c1cab09d6f6fbd71c27d2cd18f3d4122498915ca84363dbc6";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "a21e28aa758f8dd71334795559266ab563df3c69d79e59aa5cee1fed2d0c20f8";
