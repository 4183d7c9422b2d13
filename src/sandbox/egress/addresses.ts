/**
 * What kind of address an IP is, for the egress proxy: only "public" addresses may be
 * reached, plus loopback ports the user listed. Everything unknown is "reserved", so a
 * mistake here refuses a connection instead of opening one.
 */
import { BlockList, isIP } from "node:net";

export type AddressClass = "public" | "loopback" | "private" | "link-local" | "unspecified" | "multicast" | "reserved";

type Range = [cls: AddressClass, network: string, prefix: number];

// Checked in this order; the first range that holds the address decides.
const V4_RANGES: Range[] = [
  ["unspecified", "0.0.0.0", 8], // "this network"; connecting to 0.0.0.0 reaches the local host on Linux
  ["loopback", "127.0.0.0", 8],
  ["private", "10.0.0.0", 8],
  ["private", "100.64.0.0", 10], // carrier-grade NAT
  ["private", "172.16.0.0", 12],
  ["private", "192.168.0.0", 16],
  ["link-local", "169.254.0.0", 16], // cloud metadata services live here
  ["reserved", "192.0.0.0", 24], // IETF protocol assignments
  ["reserved", "192.0.2.0", 24], // documentation
  ["reserved", "192.88.99.0", 24], // retired 6to4 relays
  ["reserved", "198.18.0.0", 15], // benchmarking
  ["reserved", "198.51.100.0", 24], // documentation
  ["reserved", "203.0.113.0", 24], // documentation
  ["multicast", "224.0.0.0", 4],
  ["reserved", "240.0.0.0", 4], // includes the broadcast address 255.255.255.255
];

const V6_RANGES: Range[] = [
  ["unspecified", "::", 128],
  ["loopback", "::1", 128],
  ["reserved", "::", 96], // IPv4-compatible addresses (deprecated)
  ["private", "64:ff9b:1::", 48], // local-use NAT64
  ["reserved", "100::", 64], // discard
  ["reserved", "2001:db8::", 32], // documentation
  ["private", "fc00::", 7], // unique local
  ["private", "fec0::", 10], // site-local (deprecated)
  ["link-local", "fe80::", 10],
  ["multicast", "ff00::", 8],
];

function compile(ranges: Range[], type: "ipv4" | "ipv6"): { cls: AddressClass; list: BlockList }[] {
  return ranges.map(([cls, network, prefix]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, type);
    return { cls, list };
  });
}

const V4 = compile(V4_RANGES, "ipv4");
const V6 = compile(V6_RANGES, "ipv6");
/** All global unicast IPv6 space handed out so far; anything outside it is not public. */
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet("2000::", 3, "ipv6");

/** The class of an IP address (a string that is no IP address is "reserved"). */
export function classifyAddress(ip: string): AddressClass {
  // A zone ("fe80::1%eth0") and brackets ("[::1]") do not change the class.
  const bare = ip.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return classifyV4(bare);
  if (family !== 6) return "reserved";
  const words = ipv6Words(bare);
  const embedded = embeddedV4(words);
  if (embedded !== null) return classifyV4(embedded);
  for (const { cls, list } of V6) if (list.check(bare, "ipv6")) return cls;
  return GLOBAL_UNICAST.check(bare, "ipv6") ? "public" : "reserved";
}

/** True when the address may be reached from a sandboxed command without being listed. */
export function isPublic(ip: string): boolean {
  return classifyAddress(ip) === "public";
}

/**
 * The first address a connection to `port` may not use, or null when every one is fine:
 * all must be public, except loopback ones when the port is in `localPorts`. A name is
 * refused when ANY of its addresses is not public: the one picked could be any of them.
 */
export function refusedAddress(addresses: readonly string[], port: number, localPorts: readonly number[]): string | null {
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (cls === "public") continue;
    if (cls === "loopback" && localPorts.includes(port)) continue;
    return address;
  }
  return null;
}

function classifyV4(ip: string): AddressClass {
  for (const { cls, list } of V4) if (list.check(ip, "ipv4")) return cls;
  return "public";
}

/**
 * The IPv4 address inside an IPv6 one that leads to it: IPv4-mapped (::ffff:a.b.c.d, the
 * kernel connects to a.b.c.d itself), the well-known NAT64 prefix (64:ff9b::/96, a NAT64
 * gateway connects to a.b.c.d from its own network) and 6to4 (2002:AABB:CCDD::/48).
 */
function embeddedV4(words: number[]): string | null {
  const w = (i: number) => words[i] ?? 0;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (w(0) === 0 && w(1) === 0 && w(2) === 0 && w(3) === 0 && w(4) === 0 && w(5) === 0xffff) return v4(w(6), w(7));
  if (w(0) === 0x64 && w(1) === 0xff9b && w(2) === 0 && w(3) === 0 && w(4) === 0 && w(5) === 0) return v4(w(6), w(7));
  if (w(0) === 0x2002) return v4(w(1), w(2));
  return null;
}

/** The eight 16-bit words of a valid IPv6 address (checked with isIP first). */
function ipv6Words(ip: string): number[] {
  const groups = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = "", tail] = ip.split("::");
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
}
