// Types for the generated standalone validators (scripts/build-validators.ts).
export declare const precompiled: [string, string, import("ajv").ValidateFunction][];
