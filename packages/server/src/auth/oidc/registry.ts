// Each school's OpenID provider, as its admin registered it: issuer, client, scopes and
// which claim makes a user a teacher. The client secret is sealed at rest (seal.ts).
import type { Database, Statement } from "bun:sqlite";
import { seal, unseal } from "../seal.ts";

export const TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"] as const;
export type TokenAuthMethod = (typeof TOKEN_AUTH_METHODS)[number];

export interface IdentityProvider {
  schoolId: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  tokenAuthMethod: TokenAuthMethod;
  scopes: string;
  /** Claim naming the user's role(s) (a string or a list); none: everyone signs in as a student. */
  roleClaim: string | null;
  /** Values of roleClaim that make a teacher. */
  teacherValues: string[];
  createdAt: number;
  updatedAt: number;
}

interface Row {
  school_id: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  token_auth_method: TokenAuthMethod;
  scopes: string;
  role_claim: string | null;
  teacher_values: string;
  created_at: number;
  updated_at: number;
}

export class IdentityProviders {
  private readonly s: Record<"get" | "put" | "remove", Statement>;

  constructor(
    db: Database,
    private readonly sealKey: Uint8Array,
  ) {
    this.s = {
      get: db.query("SELECT * FROM school_identity_providers WHERE school_id = ?"),
      put: db.query(
        "INSERT INTO school_identity_providers (school_id, issuer, client_id, client_secret, token_auth_method, scopes, role_claim, teacher_values, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) " +
          "ON CONFLICT (school_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, client_secret = excluded.client_secret, token_auth_method = excluded.token_auth_method, scopes = excluded.scopes, role_claim = excluded.role_claim, teacher_values = excluded.teacher_values, updated_at = excluded.updated_at",
      ),
      remove: db.query("DELETE FROM school_identity_providers WHERE school_id = ?"),
    };
  }

  get(schoolId: string): IdentityProvider | undefined {
    const r = this.s.get.get(schoolId) as Row | null;
    if (r === null) return undefined;
    return {
      schoolId: r.school_id,
      issuer: r.issuer,
      clientId: r.client_id,
      clientSecret: unseal(this.sealKey, r.client_secret),
      tokenAuthMethod: r.token_auth_method,
      scopes: r.scopes,
      roleClaim: r.role_claim,
      teacherValues: JSON.parse(r.teacher_values) as string[],
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  put(p: Omit<IdentityProvider, "createdAt" | "updatedAt">, now: number): IdentityProvider {
    this.s.put.run(p.schoolId, p.issuer, p.clientId, seal(this.sealKey, p.clientSecret), p.tokenAuthMethod, p.scopes, p.roleClaim, JSON.stringify(p.teacherValues), now);
    return this.get(p.schoolId) as IdentityProvider;
  }

  remove(schoolId: string): boolean {
    return this.s.remove.run(schoolId).changes > 0;
  }
}
