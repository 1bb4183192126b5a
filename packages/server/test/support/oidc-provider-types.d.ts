// The part of oidc-provider (v9, no bundled types) the test provider uses.
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";
  interface Grant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  interface Context {
    oidc: {
      provider: { Grant: new (o: { clientId: string; accountId: string }) => Grant };
      client?: { clientId: string };
      session?: { accountId?: string };
    };
  }
  interface Configuration {
    clients: Record<string, unknown>[];
    pkce?: { required(): boolean };
    jwks?: { keys: object[] };
    claims?: Record<string, string[]>;
    findAccount(
      ctx: Context,
      id: string,
    ): { accountId: string; claims(): Record<string, unknown> } | Promise<{ accountId: string; claims(): Record<string, unknown> }>;
    features?: Record<string, { enabled: boolean }>;
    interactions?: { url(ctx: Context, interaction: { uid: string }): string };
    loadExistingGrant?(ctx: Context): Promise<Grant>;
    ttl?: Record<string, () => number>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: object,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }
}
