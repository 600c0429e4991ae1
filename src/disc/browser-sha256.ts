/**
 * Incremental SHA-256 (FIPS 180-4) as JavaScript source for the kit's verify.html. WebCrypto's
 * `digest` is one-shot and update files reach 4 GB, so the page hashes files in slices with this.
 * The source defines `createSha256()` returning `{ update(Uint8Array), hex() }`.
 */
export const BROWSER_SHA256_JS = String.raw`
function createSha256() {
  // FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  // §5.3.3: initial hash value.
  var H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  var W = new Uint32Array(64);
  var block = new Uint8Array(64);
  var used = 0;
  var total = 0;

  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

  function compress(b, off) {
    var i;
    for (i = 0; i < 16; i++) {
      W[i] = (b[off + 4 * i] << 24) | (b[off + 4 * i + 1] << 16) | (b[off + 4 * i + 2] << 8) | b[off + 4 * i + 3];
    }
    for (i = 16; i < 64; i++) {
      var w15 = W[i - 15], w2 = W[i - 2];
      var s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      var s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    var a = H[0], bb = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (i = 0; i < 64; i++) {
      var S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      var ch = (e & f) ^ (~e & g);
      var t1 = (h + S1 + ch + K[i] + W[i]) | 0;
      var S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      var maj = (a & bb) ^ (a & c) ^ (bb & c);
      var t2 = (S0 + maj) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
    }
    H[0] += a; H[1] += bb; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }

  return {
    update: function (data) {
      var i = 0;
      total += data.length;
      if (used > 0) {
        while (used < 64 && i < data.length) block[used++] = data[i++];
        if (used < 64) return;
        compress(block, 0);
        used = 0;
      }
      for (; i + 64 <= data.length; i += 64) compress(data, i);
      while (i < data.length) block[used++] = data[i++];
    },
    hex: function () {
      // §5.1.1 padding: 0x80, zeros, then the message length in bits as a 64-bit big-endian integer.
      var bits = total * 8;
      var pad = new Uint8Array((used < 56 ? 56 : 120) - used + 8);
      pad[0] = 0x80;
      var hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
      var n = pad.length;
      pad[n - 8] = hi >>> 24; pad[n - 7] = hi >>> 16; pad[n - 6] = hi >>> 8; pad[n - 5] = hi;
      pad[n - 4] = lo >>> 24; pad[n - 3] = lo >>> 16; pad[n - 2] = lo >>> 8; pad[n - 1] = lo;
      var keep = total;
      this.update(pad);
      total = keep;
      var out = '';
      for (var j = 0; j < 8; j++) out += ('00000000' + H[j].toString(16)).slice(-8);
      return out;
    }
  };
}
`;
