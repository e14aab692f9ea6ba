// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "b389788cc44168cb82d034dbad5556c8bd397b88f9503598f07289105b0e0e25";
export const DEFAULT_BUNDLE_WASM_SHA256 = "2b311cf7573a58d3c7511816ef164f34fb8c3ab9cf1bad6e60a6050c1248b4ee";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "f4a18e6ee24bb59ec3d830cfd7fa06747497d419fc125fa5d9b4326790b738d6";
