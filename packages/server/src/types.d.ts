// Text imports (import x from "./file.rego" with { type: "text" }) are inlined by Bun.
declare module "*.rego" {
  const text: string;
  export default text;
}
