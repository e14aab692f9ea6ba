// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz, checked before the embedded
// default bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "844a6a6bb1c613df0cce413c4ac9c4dd09a4ee5de422fa7943eeebe73fd1f721";
