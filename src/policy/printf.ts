/**
 * What bash's `echo` and `printf` print, computed without running them, so
 * that `echo -e '\x72m -rf /' | sh` and `printf '%s' 'rm -rf ~' | bash` are
 * read as the code they produce. null when the output cannot be computed
 * (a conversion this does not know).
 */

const SIMPLE: Record<string, string> = { a: "\x07", b: "\b", e: "\x1b", E: "\x1b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" };

/**
 * Backslash escapes as `echo -e` and printf's `%b` decode them (`\0nnn`
 * octal) or as a printf format does (`\nnn`). Returns the text and whether
 * `\c` stopped the output.
 */
export function decodeEscapes(text: string, style: "echo" | "format"): { text: string; stop: boolean } {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== "\\" || i + 1 >= text.length) {
      out += ch;
      continue;
    }
    const next = text[++i]!;
    if (next in SIMPLE) out += SIMPLE[next];
    else if (next === "c") return { text: out, stop: true };
    else if (next === "x") {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 1))?.[0] ?? "";
      out += hex ? String.fromCharCode(parseInt(hex, 16)) : "\\x";
      i += hex.length;
    } else if (next === "u" || next === "U") {
      const hex = new RegExp(`^[0-9a-fA-F]{1,${next === "u" ? 4 : 8}}`).exec(text.slice(i + 1))?.[0] ?? "";
      out += hex ? String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff)) : `\\${next}`;
      i += hex.length;
    } else if (style === "echo" && next === "0") {
      const oct = /^[0-7]{0,3}/.exec(text.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(oct || "0", 8) & 0xff);
      i += oct.length;
    } else if (style === "format" && /[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(text.slice(i))![0];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (style === "format" && (next === '"' || next === "'" || next === "?")) {
      out += next;
    } else {
      out += `\\${next}`;
    }
  }
  return { text: out, stop: false };
}

/** bash's echo: leading -n/-e/-E clusters are options; -e decodes escapes; the output ends with a newline unless -n or `\c`. */
export function echoOutput(args: string[]): string {
  let escapes = false;
  let newline = true;
  let i = 0;
  for (; i < args.length && /^-[neE]+$/.test(args[i]!); i++) {
    for (const flag of args[i]!.slice(1)) {
      if (flag === "e") escapes = true;
      if (flag === "E") escapes = false;
      if (flag === "n") newline = false;
    }
  }
  const text = args.slice(i).join(" ");
  if (!escapes) return newline ? `${text}\n` : text;
  const decoded = decodeEscapes(text, "echo");
  return decoded.stop || !newline ? decoded.text : `${decoded.text}\n`;
}

/** bash's printf (without -v): the format is reused until the arguments run out. */
export function printfOutput(args: string[]): string | null {
  let rest = args;
  if (rest[0] === "--") rest = rest.slice(1);
  const [format, ...values] = rest;
  if (format === undefined) return null;
  let out = "";
  let next = 0;
  for (let round = 0; round < 1000; round++) {
    let consumed = false;
    for (let i = 0; i < format.length; i++) {
      const ch = format[i]!;
      if (ch === "\\") {
        let end = i + 1;
        if (format[end] === "x") end += 1 + (/^[0-9a-fA-F]{0,2}/.exec(format.slice(end + 1))![0].length);
        else if (format[end] === "u" || format[end] === "U") end += 1 + (/^[0-9a-fA-F]{0,8}/.exec(format.slice(end + 1))![0].length);
        else if (/[0-7]/.test(format[end] ?? "")) end += /^[0-7]{1,3}/.exec(format.slice(end))![0].length;
        else end += 1;
        const decoded = decodeEscapes(format.slice(i, end), "format");
        out += decoded.text;
        if (decoded.stop) return out;
        i = end - 1;
        continue;
      }
      if (ch !== "%") {
        out += ch;
        continue;
      }
      const spec = /^%([-+ #0]*)(\d*)(?:\.(\d*))?([sbcdiouxXq%])/.exec(format.slice(i));
      if (!spec) return null;
      i += spec[0].length - 1;
      const conversion = spec[4]!;
      if (conversion === "%") {
        out += "%";
        continue;
      }
      const value = values[next++] ?? "";
      consumed = true;
      let text: string;
      switch (conversion) {
        case "s":
          text = value;
          break;
        case "b": {
          const decoded = decodeEscapes(value, "echo");
          if (decoded.stop) return out + decoded.text;
          text = decoded.text;
          break;
        }
        case "c":
          text = value.slice(0, 1);
          break;
        case "q":
          return null;
        default: {
          const number = Number.parseInt(value || "0", 10);
          if (!Number.isFinite(number)) return null;
          text = conversion === "x" ? number.toString(16) : conversion === "X" ? number.toString(16).toUpperCase() : conversion === "o" ? number.toString(8) : String(number);
        }
      }
      if (spec[3] !== undefined && "sb".includes(conversion)) text = text.slice(0, Number(spec[3] || "0"));
      const width = Number(spec[2] || "0");
      if (text.length < width) text = spec[1]!.includes("-") ? text.padEnd(width) : text.padStart(width);
      out += text;
    }
    if (!consumed || next >= values.length) break;
  }
  return out;
}
