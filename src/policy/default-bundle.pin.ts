// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz, checked before the embedded
// default bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "30ba32fdd9973173e430a96e5084a5b09b262609e9f8d7ffe30ff527c2c8864f";
