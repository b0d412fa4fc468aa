/* Hashes computed on the young person's own device: MD5, SHA-256 (Web Crypto) and PDQ.
   PDQ is a port of Meta's reference (facebook/ThreatExchange pdq/cpp, BSD licence): luminance, a Jarosz
   (two-pass box) filter, decimation to 64x64, the quality metric, a 16x16 DCT and the median threshold.
   Nothing here touches the network. */
"use strict";

const NetsafeHashes = (() => {
  // --- MD5 (RFC 1321) over bytes -------------------------------------------------------------------------
  const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  const K = new Uint32Array(64);
  for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) >>> 0;

  function md5(bytes) {
    const n = bytes.length;
    const total = (((n + 8) >>> 6) + 1) * 64;
    const buf = new Uint8Array(total);
    buf.set(bytes);
    buf[n] = 0x80;
    const view = new DataView(buf.buffer);
    view.setUint32(total - 8, (n * 8) >>> 0, true);
    view.setUint32(total - 4, Math.floor(n / 536870912) >>> 0, true);
    let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
    const M = new Uint32Array(16);
    for (let off = 0; off < total; off += 64) {
      for (let j = 0; j < 16; j++) M[j] = view.getUint32(off + j * 4, true);
      let a = a0, b = b0, c = c0, d = d0;
      for (let i = 0; i < 64; i++) {
        let f, g;
        if (i < 16) { f = (b & c) | (~b & d); g = i; }
        else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
        else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
        else { f = c ^ (b | ~d); g = (7 * i) & 15; }
        const s = S[(i >> 4) * 4 + (i & 3)];
        const x = (a + f + K[i] + M[g]) >>> 0;
        a = d; d = c; c = b;
        b = (b + ((x << s) | (x >>> (32 - s)))) >>> 0;
      }
      a0 = (a0 + a) >>> 0; b0 = (b0 + b) >>> 0; c0 = (c0 + c) >>> 0; d0 = (d0 + d) >>> 0;
    }
    const out = new DataView(new ArrayBuffer(16));
    [a0, b0, c0, d0].forEach((w, i) => out.setUint32(i * 4, w, true));
    return hex(new Uint8Array(out.buffer));
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function sha256(bytes) {
    return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  }

  // --- PDQ -----------------------------------------------------------------------------------------------
  const DCT = new Float32Array(16 * 64);
  const scale = Math.sqrt(2 / 64);
  for (let i = 0; i < 16; i++)
    for (let j = 0; j < 64; j++) DCT[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1));

  function windowSize(oldDim, newDim) {
    return Math.floor((oldDim + 2 * newDim - 1) / (2 * newDim));
  }

  function box1D(inv, outv, start, length, stride, full) {
    const half = Math.floor((full + 2) / 2);
    const p1 = half - 1, p2 = full - half + 1, p3 = length - full, p4 = half - 1;
    let li = start, ri = start, oi = start, sum = 0, size = 0;
    for (let i = 0; i < p1; i++) { sum += inv[ri]; size++; ri += stride; }
    for (let i = 0; i < p2; i++) { sum += inv[ri]; size++; outv[oi] = sum / size; ri += stride; oi += stride; }
    for (let i = 0; i < p3; i++) {
      sum += inv[ri]; sum -= inv[li]; outv[oi] = sum / size; li += stride; ri += stride; oi += stride;
    }
    for (let i = 0; i < p4; i++) { sum -= inv[li]; size--; outv[oi] = sum / size; li += stride; oi += stride; }
  }

  function pdqFromLuma(luma, rows, cols) {
    if (rows < 5 || cols < 5) return { pdq: "0".repeat(64), quality: 0 };
    const a = new Float32Array(64 * 64);
    if (rows === 64 && cols === 64) {
      a.set(luma);
    } else {
      const other = new Float32Array(rows * cols);
      const wr = windowSize(cols, 64), wc = windowSize(rows, 64);
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < rows; i++) box1D(luma, other, i * cols, cols, 1, wr);
        for (let j = 0; j < cols; j++) box1D(other, luma, j, rows, cols, wc);
      }
      for (let oi = 0; oi < 64; oi++) {
        const ii = Math.floor(((oi + 0.5) * rows) / 64);
        for (let oj = 0; oj < 64; oj++) a[oi * 64 + oj] = luma[ii * cols + Math.floor(((oj + 0.5) * cols) / 64)];
      }
    }
    let gradient = 0;
    for (let i = 0; i < 63; i++)
      for (let j = 0; j < 64; j++) gradient += Math.abs(Math.trunc(((a[i * 64 + j] - a[(i + 1) * 64 + j]) * 100) / 255));
    for (let i = 0; i < 64; i++)
      for (let j = 0; j < 63; j++) gradient += Math.abs(Math.trunc(((a[i * 64 + j] - a[i * 64 + j + 1]) * 100) / 255));
    const quality = Math.min(100, Math.floor(gradient / 90));
    const t = new Float32Array(16 * 64);
    for (let i = 0; i < 16; i++)
      for (let j = 0; j < 64; j++) {
        let s = 0;
        for (let k = 0; k < 64; k++) s += DCT[i * 64 + k] * a[k * 64 + j];
        t[i * 64 + j] = s;
      }
    const b = new Float32Array(256);
    for (let i = 0; i < 16; i++)
      for (let j = 0; j < 16; j++) {
        let s = 0;
        for (let k = 0; k < 64; k++) s += t[i * 64 + k] * DCT[j * 64 + k];
        b[i * 16 + j] = s;
      }
    const median = Float32Array.from(b).sort()[127];
    let out = "";
    for (let w = 15; w >= 0; w--) {
      let word = 0;
      for (let j = 0; j < 16; j++) if (b[w * 16 + j] > median) word |= 1 << j;
      out += word.toString(16).padStart(4, "0");
    }
    return { pdq: out, quality };
  }

  // Browsers refuse canvases much beyond this (phones especially): bigger photos are drawn smaller first.
  const MAX_PIXELS = 16000000;

  async function pdqOfImage(blob) {
    const bitmap = await createImageBitmap(blob);
    let w = bitmap.width, h = bitmap.height;
    if (w * h > MAX_PIXELS) {
      const f = Math.sqrt(MAX_PIXELS / (w * h));
      w = Math.max(1, Math.floor(w * f)); h = Math.max(1, Math.floor(h * f));
    }
    const canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(bitmap, 0, 0, w, h);
    bitmap.close();
    const px = ctx.getImageData(0, 0, w, h).data;
    canvas.width = canvas.height = 0; // let the pixels go at once
    const luma = new Float32Array(w * h);
    for (let i = 0, p = 0; i < luma.length; i++, p += 4)
      luma[i] = 0.299 * px[p] + 0.587 * px[p + 1] + 0.114 * px[p + 2];
    return pdqFromLuma(luma, h, w);
  }

  // All three for one file: PDQ only for pictures the browser can open (videos get MD5 and SHA-256).
  async function hashFile(file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const item = { md5: md5(bytes), sha256: await sha256(bytes) };
    if (file.type.startsWith("image/")) {
      try {
        const p = await pdqOfImage(file);
        item.pdq = p.pdq;
        item.pdq_quality = p.quality;
      } catch (e) {
        /* a picture this browser cannot open: its exact hashes still work */
      }
    }
    return item;
  }

  return { md5, sha256, pdqFromLuma, pdqOfImage, hashFile };
})();
