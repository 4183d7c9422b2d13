/** What every access token starts with (`cgc_` + 43 random base64url characters): generated in access/token, matched by redaction. */
export const TOKEN_PREFIX = "cgc_";
