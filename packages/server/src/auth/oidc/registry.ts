// Each school's OpenID provider, as its admin registered it: issuer, client, scopes and
// which claim makes a user a teacher or the school's admin. The client secret is sealed at rest (seal.ts); the
// document is a replicated record (every instance has it).
import type { Records } from "../records.ts";
import { seal, unseal } from "../seal.ts";

export const TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"] as const;
type TokenAuthMethod = (typeof TOKEN_AUTH_METHODS)[number];

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
  /** Values of roleClaim that make the school's admin (over teacher; a document stored before it has none). */
  schoolAdminValues?: string[];
  createdAt: number;
  updatedAt: number;
}

export class IdentityProviders {
  constructor(
    private readonly records: Records,
    private readonly sealKey: Uint8Array,
  ) {}

  get(schoolId: string): IdentityProvider | undefined {
    const doc = this.records.get<IdentityProvider>("idp", schoolId);
    return doc === undefined ? undefined : { ...doc, clientSecret: unseal(this.sealKey, doc.clientSecret) };
  }

  put(p: Omit<IdentityProvider, "createdAt" | "updatedAt">, now: number): IdentityProvider {
    const before = this.records.get<IdentityProvider>("idp", p.schoolId);
    this.records.put("idp", p.schoolId, {
      ...p,
      clientSecret: seal(this.sealKey, p.clientSecret),
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    });
    return this.get(p.schoolId) as IdentityProvider;
  }

  remove(schoolId: string): boolean {
    return this.records.remove("idp", schoolId);
  }
}
