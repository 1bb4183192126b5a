import { describe, expect, test } from "bun:test";
import { call, err } from "./builtins.helpers.ts";

describe("regex (RE2 syntax)", () => {
  test("match and flags", () => {
    expect(call("regex.match", "^[a-z]+$", "abc")).toBe(true);
    expect(call("regex.match", "b", "abc")).toBe(true);
    expect(call("regex.match", "(?i)^ABC$", "abc")).toBe(true);
    expect(call("regex.match", "(?s)a.b", "a\nb")).toBe(true);
    expect(call("regex.match", "a.b", "a\nb")).toBe(false);
    expect(call("re_match", "^x", "xy")).toBe(true);
    expect(call("regex.match", "(?P<year>\\d{4})", "in 2024")).toBe(true);
    expect(call("regex.match", "[[:digit:]]+", "a1")).toBe(true);
    expect(call("regex.match", "\\Qa.b\\E", "axb")).toBe(false);
    expect(call("regex.match", "\\Qa.b\\E", "a.b")).toBe(true);
    expect(call("regex.match", "\\Aab\\z", "ab")).toBe(true);
    expect(call("regex.match", "^\\pL+$", "héllo")).toBe(true);
    expect(call("regex.match", "^\\x{e9}$", "é")).toBe(true);
    expect(call("regex.match", "a\\-b\\_c", "a-b_c")).toBe(true);
  });
  test("is_valid rejects what RE2 rejects", () => {
    expect(call("regex.is_valid", "a+")).toBe(true);
    expect(call("regex.is_valid", "(")).toBe(false);
    expect(call("regex.is_valid", "(?=x)")).toBe(false);
    expect(call("regex.is_valid", "(a)\\1")).toBe(false);
    expect(call("regex.is_valid", 1)).toBe(false);
    expect(err("regex.match", "(", "x")).toContain("regex.match: error parsing regexp");
  });
  test("find and split follow Go's empty-match rules", () => {
    expect(call("regex.find_n", "a*", "baaac", -1)).toEqual(["", "aaa", ""]);
    expect(call("regex.find_n", "[0-9]+", "a1b22c333", 2)).toEqual(["1", "22"]);
    expect(call("regex.find_n", "x", "abc", -1)).toEqual([]);
    expect(call("regex.split", "a", "banana")).toEqual(["b", "n", "n", ""]);
    expect(call("regex.split", ",\\s*", "a, b,c")).toEqual(["a", "b", "c"]);
    expect(call("regex.split", "x", "")).toEqual([""]);
    expect(call("regex.find_all_string_submatch_n", "(a)(b)?", "ab a", -1)).toEqual([
      ["ab", "a", "b"],
      ["a", "a", ""],
    ]);
  });
  test("replace uses Go template expansion", () => {
    expect(call("regex.replace", "abc123", "[0-9]", "<$0>")).toBe("abc<1><2><3>");
    expect(call("regex.replace", "john smith", "(\\w+) (\\w+)", "$2 $1")).toBe("smith john");
    expect(call("regex.replace", "ab", "(a)", "$1x")).toBe("b");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's ${1} replacement syntax
    expect(call("regex.replace", "ab", "(a)", "${1}x")).toBe("axb");
    expect(call("regex.replace", "ab", "a", "$$")).toBe("$b");
  });
  test("template_match", () => {
    expect(call("regex.template_match", "urn:foo:{.*}", "urn:foo:bar:baz", "{", "}")).toBe(true);
    expect(call("regex.template_match", "urn:foo.bar.com:{.*}", "urn:foo.com:bar:baz", "{", "}")).toBe(false);
    expect(call("regex.template_match", "urn:foo:<[0-9]{2}>", "urn:foo:42", "<", ">")).toBe(true);
  });
});

describe("glob (gobwas semantics)", () => {
  const g = (p: string, d: string[] | null, s: string) => call("glob.match", p, d, s);
  test("documented examples", () => {
    expect(g("api://*/appId", null, "api://foo.com/appId")).toBe(true);
    expect(g("*.github.com", [], "api.github.com")).toBe(true);
    expect(g("*.github.com", [], "api.cdn.github.com")).toBe(false);
    expect(g("*hub.com", null, "api.cdn.github.com")).toBe(true);
    expect(g("*:github:com", [":"], "api:github:com")).toBe(true);
    expect(g("api.**.com", [], "api.github.com")).toBe(true);
    expect(g("api.**.com", [], "api.cdn.github.com")).toBe(true);
    expect(g("?at", [], "cat")).toBe(true);
    expect(g("?at", [], "at")).toBe(false);
    expect(g("[abc]at", [], "bat")).toBe(true);
    expect(g("[abc]at", [], "lat")).toBe(false);
    expect(g("[!abc]at", [], "cat")).toBe(false);
    expect(g("[!a-c]at", [], "lat")).toBe(true);
    expect(g("{cat,bat,[fr]at}", [], "rat")).toBe(true);
    expect(g("{cat,bat,[fr]at}", [], "at")).toBe(false);
    expect(g("a\\*b", null, "a*b")).toBe(true);
    expect(g("a\\*b", null, "axb")).toBe(false);
  });
  test("errors and quote_meta", () => {
    expect(err("glob.match", "[abc", null, "a")).toContain("glob.match:");
    expect(err("glob.match", "*", "x", "a")).toBe("glob.match: operand 2 must be one of {array, null} but got string");
    expect(call("glob.quote_meta", "*.github.com")).toBe("\\*.github.com");
    expect(call("glob.quote_meta", "{a}[b]?\\")).toBe("\\{a\\}\\[b\\]\\?\\\\");
  });
});

describe("regex unicode classes", () => {
  test("categories and scripts", () => {
    expect(call("regex.match", "^\\p{Greek}+$", "αβγ")).toBe(true);
    expect(call("regex.match", "^\\p{Greek}+$", "abc")).toBe(false);
    expect(call("regex.match", "^\\p{Lu}", "Éa")).toBe(true);
    expect(call("regex.match", "^\\PL+$", "123")).toBe(true);
    expect(call("regex.match", "^\\p{^L}+$", "123")).toBe(true);
    expect(call("regex.match", "^[\\p{Han}]+$", "漢字")).toBe(true);
  });
});

describe("regex.globs_match", () => {
  test("intersection of glob-style regexes", () => {
    expect(call("regex.globs_match", "a.a.[0-9]+z", ".b.b2359825792*")).toBe(false);
    expect(call("regex.globs_match", "[a-z]+", "[0-9]*")).toBe(false);
    expect(call("regex.globs_match", "a.*", ".*b")).toBe(true);
    expect(call("regex.globs_match", "foo.*", "f[aeiou]+bar")).toBe(true);
    expect(call("regex.globs_match", "[^a]", "a")).toBe(false);
    expect(call("regex.globs_match", "\\.x", ".x")).toBe(true);
    expect(call("regex.globs_match", "\\.x", "ax")).toBe(false);
    expect(call("regex.globs_match", "a*", "b*")).toBe(false);
    expect(err("regex.globs_match", "[a", "a")).toContain("regex.globs_match: error parsing regexp");
  });
});
