// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz, checked before the embedded
// default bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "74edee0c88a40b16a26dcf3de74a80bf2f863b23d7195cfb1f1f563111e62072";
