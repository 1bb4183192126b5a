// @edgeclass/policy-api: OPA's Data API over Fetch API Request/Response, shared by the Bun
// server's routes (packages/server/src/http/routes/opa.ts) and the wasi:http component
// (component.ts, built by scripts/build-wasm.ts). Pure ES2023 + Fetch types; no runtime APIs.
export { DataApi, opaError, boolParam, parseDataPath, refText, type DataApiOptions, type PolicyModule } from "./data-api.ts";
export { encodeGo, decodeGo, marshalIndentGo, Struct } from "./json.ts";
