/**
 * Debian's msuser.schema has AD's `user` and `group` classes but no matching rules (so no filter on
 * sAMAccountName can match), requires AD-internal attributes on every object, and leaves sAMAccountName out
 * of the user class. This patches a copy so slapd can serve an AD-shaped test directory.
 */
const MATCHING_RULES: Record<string, string> = {
  sAMAccountName: 'EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch',
  userPrincipalName: 'EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch',
  proxyAddresses: 'EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch',
  userAccountControl: 'EQUALITY integerMatch',
  groupType: 'EQUALITY integerMatch',
  objectGUID: 'EQUALITY octetStringMatch',
  objectCategory: 'EQUALITY distinguishedNameMatch',
};

export function patchedMsUserSchema(original: string): string {
  let schema = original;
  for (const [name, rules] of Object.entries(MATCHING_RULES)) {
    const pattern = new RegExp(`(NAME '${name}'\\s*\\n)(\\s*SYNTAX)`);
    if (!pattern.test(schema)) throw new Error(`msuser.schema: attribute ${name} not found`);
    schema = schema.replace(pattern, `$1\t${rules}\n$2`);
  }
  const replacements: Array<[string, string]> = [
    [' MUST (objectClass $ instanceType\n $ nTSecurityDescriptor $ objectCategory ) MAY (cn', ' MUST objectClass MAY (cn $ instanceType $ nTSecurityDescriptor $ objectCategory'],
    [' MUST (groupType ) MAY (member', ' MAY (groupType $ sAMAccountName $ member'],
    [' MAY (o $ businessCategory', ' MAY (o $ sAMAccountName $ businessCategory'],
  ];
  for (const [from, to] of replacements) {
    if (!schema.includes(from)) throw new Error(`msuser.schema: expected text not found: ${from.slice(0, 40)}`);
    schema = schema.replace(from, to);
  }
  return schema;
}
