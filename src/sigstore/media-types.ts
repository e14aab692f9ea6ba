// The Sigstore bundle media types tollgate accepts, without loading @sigstore/* (detection and parsing need
// only these strings; the verifier is imported on first use). The values are @sigstore/bundle's
// BUNDLE_V0*_MEDIA_TYPE constants (test/sigstore.test.ts checks they stay equal).
export const BUNDLE_V01_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle+json;version=0.1";
export const BUNDLE_V02_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle+json;version=0.2";
export const BUNDLE_V03_LEGACY_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle+json;version=0.3";
export const BUNDLE_V03_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

/** The bundle media types tollgate accepts, and the `source.format` each one is recorded as. */
export const BUNDLE_FORMATS: Readonly<Record<string, string>> = {
  [BUNDLE_V01_MEDIA_TYPE]: "sigstore-bundle-v0.1",
  [BUNDLE_V02_MEDIA_TYPE]: "sigstore-bundle-v0.2",
  [BUNDLE_V03_LEGACY_MEDIA_TYPE]: "sigstore-bundle-v0.3",
  [BUNDLE_V03_MEDIA_TYPE]: "sigstore-bundle-v0.3",
};
