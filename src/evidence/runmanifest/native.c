/*
 * The native lane of the ledger scan (native.ts compiles this with Bun's built-in TinyCC, bun:ffi `cc`).
 * It takes entries written in the producer's exact layout (Python json.dump(indent=2) at the entries'
 * depth: members in the producer's key order, one per line) and proves for each what fast.ts proves, by
 * the same rules, so that it accepts a subset of what fast.ts accepts and yields the same canonical bytes:
 * - every string already in Python's ensure_ascii form (bytes 0x20-0x7e other than `"` and `\`, the short
 *   escapes \" \\ \n \r \t \b \f, and \uXXXX in lower-case hex only for a code unit Python escapes that
 *   way: below 0x20 without a short form, or 0x7f and above); reason_code without any escape;
 * - seq an integer of 1-10 digits without a leading zero, equal to the entry's position;
 * - the schema's shape, exactly: the nine keys, why with its five (confidence and weight_context string or
 *   null, factor_refs an array of strings), evidence_digest / prev_hash / entry_hash "sha256:" + 64 hex;
 * - prev_hash equal to `last` (the previous stored entry_hash);
 * and writes each entry's hash preimage (the canonical object without entry_hash) into `pre`, its manifest
 * form (without ts, after a comma unless it is the ledger's first) into `man`. The entry_hash is checked
 * afterwards by ledger_verify, once JavaScript has hashed the preimages. Anything else - another layout or
 * key order, a float, raw UTF-8, an escape it does not take, a tamper - ends the batch: scan.ts hands that
 * entry to fast.ts, which accepts it or hands the rest of the ledger to the exact slow path.
 *
 * It exists because JSC runs a JavaScript byte loop at ~3 ns a byte on this machine; this code reads and
 * writes 8 bytes at a time where it can, so that even TinyCC's plain code is well under that.
 *
 * Memory safety: every read of buf stays below `lim` (the buffer's end, capped at MAX_ENTRY - 16 bytes
 * after the entry's start, exactly as fast.ts caps an entry), word reads only where 8 bytes are in bounds;
 * every write into scr/pre/man/meta is preceded by a check against its capacity (room for the entry's
 * source length plus 16 bytes of slack for the 8-byte copies); a failed check ends the batch.
 */
typedef unsigned char u8;
typedef unsigned long long u64;
typedef int i32;
typedef unsigned int u32;

#define MAX_ENTRY 65536
#define SCR MAX_ENTRY
#define FAIL (-1)
#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL
#define META 8
#define CODES 64
#define CODE_BYTES 64

/* The producer's layout between values (source). */
static const char G_SEQ[] = "{\n        \"seq\": ";
static const char G_TS[] = ",\n        \"ts\": ";
static const char G_COMP[] = ",\n        \"component\": ";
static const char G_EVT[] = ",\n        \"event_type\": ";
static const char G_SUBJ[] = ",\n        \"subject_ref\": ";
static const char G_CODE[] = ",\n        \"why\": {\n          \"reason_code\": ";
static const char G_TEXT[] = ",\n          \"reason_text\": ";
static const char G_FACT[] = ",\n          \"factor_refs\": ";
static const char G_CONF[] = ",\n          \"confidence\": ";
static const char G_WCTX[] = ",\n          \"weight_context\": ";
static const char G_EVID[] = "\n        },\n        \"evidence_digest\": ";
static const char G_PREV[] = ",\n        \"prev_hash\": ";
static const char G_HASH[] = ",\n        \"entry_hash\": ";
static const char G_END[] = "\n      }";
static const char A_OPEN[] = "[\n            ";
static const char A_SEP[] = ",\n            ";
static const char A_CLOSE[] = "\n          ]";

/* Canonical member prefixes (each array padded, so 8-byte copies of them stay in bounds). */
static const char C_COMP[32] = "{\"component\":";
static const char C_HASH[32] = ",\"entry_hash\":";
static const char C_EVT[32] = ",\"event_type\":";
static const char C_EVID[32] = ",\"evidence_digest\":";
static const char C_PREV[32] = ",\"prev_hash\":";
static const char C_SEQ[32] = ",\"seq\":";
static const char C_SUBJ[32] = ",\"subject_ref\":";
static const char C_TS[32] = ",\"ts\":";
static const char C_CONF[32] = ",\"why\":{\"confidence\":";
static const char C_FACT[32] = ",\"factor_refs\":";
static const char C_CODE[32] = ",\"reason_code\":";
static const char C_TEXT[32] = ",\"reason_text\":";
static const char C_WCTX[32] = ",\"weight_context\":";
static const char C_END[32] = "}}";

static i32 slen(const char *s) {
  i32 n = 0;
  while (s[n]) n++;
  return n;
}

/* In ledger_scan: buf[q, q+n) == lit (n >= 8) or end the batch: whole words, the last one overlapping. */
#define EQ(q, lit, n) \
  { \
    i32 i_ = 0; \
    if ((q) + (n) > lim) break; \
    while (i_ + 8 < (n) && *(const u64 *)(buf + (q) + i_) == *(const u64 *)((lit) + i_)) i_ += 8; \
    if (i_ + 8 < (n) || *(const u64 *)(buf + (q) + (n) - 8) != *(const u64 *)((lit) + (n) - 8)) break; \
  }

/* buf[p, p+n) == lit (n = its length). */
static i32 eqlit(const u8 *b, i32 p, i32 lim, const char *lit, i32 n) {
  i32 i = 0;
  if (p < 0 || p + n > lim) return 0;
  for (; i + 8 <= n; i += 8)
    if (*(const u64 *)(b + p + i) != *(const u64 *)(lit + i)) return 0;
  for (; i < n; i++)
    if (b[p + i] != (u8)lit[i]) return 0;
  return 1;
}

static i32 hexv(u8 c) {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/* A string at b[p], already canonical (escapes only when esc). Returns the position after it, or FAIL. */
static i32 sstr(const u8 *b, i32 p, i32 lim, i32 esc) {
  if (p >= lim || b[p] != 0x22) return FAIL;
  p++;
  for (;;) {
    while (p + 8 <= lim) {
      u64 w = *(const u64 *)(b + p);
      u64 q = w ^ 0x2222222222222222ULL;
      u64 e = w ^ 0x5c5c5c5c5c5c5c5cULL;
      /* any byte < 0x20, >= 0x80, == 0x7f, == '"' or == '\' */
      u64 x = (((w - 0x2020202020202020ULL) & ~w) | w | (w + ONES) | ((q - ONES) & ~q) | ((e - ONES) & ~e)) & HIGH;
      if (x) {
        /* the lowest flagged byte is exact (a borrow or carry only flags bytes above a true one) */
        p += (i32)((((x & (~x + 1)) >> 7) * 0x0001020304050607ULL) >> 56);
        break;
      }
      p += 8;
    }
    if (p >= lim) return FAIL;
    u8 c = b[p];
    if (c >= 0x20 && c < 0x7f && c != 0x22 && c != 0x5c) {
      p++;
      continue;
    }
    if (c == 0x22) return p + 1;
    if (c != 0x5c || !esc || p + 1 >= lim) return FAIL;
    u8 d = b[p + 1];
    if (d == 0x22 || d == 0x5c || d == 0x6e || d == 0x72 || d == 0x74 || d == 0x62 || d == 0x66) {
      p += 2;
      continue;
    }
    if (d != 0x75 || p + 6 > lim) return FAIL;
    i32 v = 0;
    for (i32 i = p + 2; i < p + 6; i++) {
      i32 h = hexv(b[i]);
      if (h < 0) return FAIL; /* upper-case hex or not hex */
      v = (v << 4) | h;
    }
    /* Python writes \uXXXX only for what has no short escape below 0x20, and for 0x7f and above. */
    if (v >= 0x20 && v < 0x7f) return FAIL;
    if (v == 0x08 || v == 0x09 || v == 0x0a || v == 0x0c || v == 0x0d) return FAIL;
    p += 6;
  }
}

/*
 * In ledger_scan: the string at buf[pos] into `out` (the position after it), or end the batch. Inline for
 * the usual string (plain bytes up to its closing quote, found a word at a time); one with an escape, or
 * near the window's end, is read again from its start by sstr (TinyCC does not inline).
 */
#define STR(pos, out, esc) \
  { \
    i32 p_ = (pos) + 1; \
    if ((pos) >= lim || buf[pos] != 0x22) break; \
    for (;;) { \
      u64 w_, q_, e_, x_; \
      if (p_ + 8 > lim) { \
        p_ = -1; \
        break; \
      } \
      w_ = *(const u64 *)(buf + p_); \
      q_ = w_ ^ 0x2222222222222222ULL; \
      e_ = w_ ^ 0x5c5c5c5c5c5c5c5cULL; \
      x_ = (((w_ - 0x2020202020202020ULL) & ~w_) | w_ | (w_ + ONES) | ((q_ - ONES) & ~q_) | ((e_ - ONES) & ~e_)) & HIGH; \
      if (x_) { \
        p_ += (i32)((((x_ & (~x_ + 1)) >> 7) * 0x0001020304050607ULL) >> 56); \
        break; \
      } \
      p_ += 8; \
    } \
    if (p_ >= 0 && buf[p_] == 0x22) (out) = p_ + 1; \
    else if (((out) = sstr(buf, (pos), lim, (esc))) < 0) break; \
  }

/* A member `lit` then a string value: v..e its source span (esc: escapes allowed), q past it. */
#define STRING_MEMBER(lit, n, v, e, esc) \
  EQ(q, lit, n); \
  v = q + (n); \
  STR(v, e, esc); \
  q = e;

/* The same for a string-or-null value. */
#define NULLABLE_MEMBER(lit, n, v, e) \
  EQ(q, lit, n); \
  v = q + (n); \
  if (v + 4 <= lim && *(const u32 *)(buf + v) == 0x6c6c756eu /* null */) e = v + 4; \
  else STR(v, e, 1); \
  q = e;

/* In ledger_scan: `"sha256:` + 64 hex (lower-case, checked when hex) + `"` at buf[pos], or end the batch. */
#define DIG(pos, hex) \
  { \
    if ((pos) + 73 > lim || *(const u64 *)(buf + (pos)) != 0x3a36353261687322ULL /* "sha256: */ || buf[(pos) + 72] != 0x22) break; \
    if ((hex) && !hex64(buf + (pos) + 8)) break; \
  }

/* 64 lower-case hex digits at h (8 words, each checked at once). */
static i32 hex64(const u8 *h) {
  for (i32 i = 0; i < 64; i += 8) {
    u64 w = *(const u64 *)(h + i);
    /* per byte, high bit clear: >= 0x30, >= 0x3a, >= 0x61, >= 0x67 */
    u64 ge30 = (w + 0x5050505050505050ULL) & HIGH;
    u64 ge3a = (w + 0x4646464646464646ULL) & HIGH;
    u64 ge61 = (w + 0x1f1f1f1f1f1f1f1fULL) & HIGH;
    u64 ge67 = (w + 0x1919191919191919ULL) & HIGH;
    if (w & HIGH) return 0;
    if (((ge30 & ~ge3a) | (ge61 & ~ge67)) != HIGH) return 0;
  }
  return 1;
}

/* Copy n bytes in 8-byte words (up to 7 bytes beyond both ends: callers keep that in bounds). */
static u8 *cp(u8 *d, const u8 *s, i32 n) {
  u8 *e = d + n;
  while (d < e) {
    *(u64 *)d = *(const u64 *)s;
    d += 8;
    s += 8;
  }
  return e;
}
/* A literal of n <= 8, 16 or 24 bytes (its array padded): one, two or three word stores; d is advanced. */
#define L1(d, lit, n) \
  { \
    *(u64 *)(d) = *(const u64 *)(lit); \
    (d) += (n); \
  }
#define L2(d, lit, n) \
  { \
    *(u64 *)(d) = *(const u64 *)(lit); \
    *(u64 *)((d) + 8) = *(const u64 *)((lit) + 8); \
    (d) += (n); \
  }
#define L3(d, lit, n) \
  { \
    *(u64 *)(d) = *(const u64 *)(lit); \
    *(u64 *)((d) + 8) = *(const u64 *)((lit) + 8); \
    *(u64 *)((d) + 16) = *(const u64 *)((lit) + 16); \
    (d) += (n); \
  }
/* The same, inline (TinyCC does not inline): d is advanced. */
#define CP(d, s, n) \
  do { \
    u8 *e_ = (d) + (n); \
    const u8 *s_ = (const u8 *)(s); \
    while ((d) < e_) { \
      *(u64 *)(d) = *(const u64 *)s_; \
      (d) += 8; \
      s_ += 8; \
    } \
    (d) = e_; \
  } while (0)

/*
 * ctl (i32): [0] in: position of the first entry's '{'; out: position after the last accepted entry.
 *            [1] in: the first entry's seq; [2] in: 1 when an entry was already fed to the manifest digest.
 *            [3] out: bytes used in pre; [4] out: bytes used in man.
 * meta per entry (8 i32): preimage start and end in pre, manifest end in man, source end, source offset of
 * the stored entry_hash's 71 characters, reason_code start (-1 when reported before: its bytes are in the
 * table) and end in buf, a 32-bit hash of it (a cache key: the bytes are compared wherever it is used).
 * ctab (1 + 2 * CODES i32) and cbytes (CODES * CODE_BYTES): the reason codes reported so far in this scan,
 * [count, (hash, length)...] and their bytes; the caller empties it (count 0) when it drops entries.
 * Returns the number of entries accepted.
 */
i32 ledger_scan(const u8 *buf, i32 len, u8 *last, u8 *scr, i32 scrcap, u8 *pre, i32 precap, u8 *man, i32 mancap, i32 *meta, i32 metacap, i32 *ctl, i32 *ctab, u8 *cbytes) {
  i32 p = ctl[0], seq = ctl[1], notFirst = ctl[2];
  i32 pn = 0, mn = 0, count = 0;
  i32 lSeq = slen(G_SEQ), lTs = slen(G_TS), lComp = slen(G_COMP), lEvt = slen(G_EVT), lSubj = slen(G_SUBJ);
  i32 lCode = slen(G_CODE), lText = slen(G_TEXT), lFact = slen(G_FACT), lConf = slen(G_CONF), lWctx = slen(G_WCTX);
  i32 lEvid = slen(G_EVID), lPrev = slen(G_PREV), lHash = slen(G_HASH), lEnd = slen(G_END);
  i32 lOpen = slen(A_OPEN), lSep = slen(A_SEP), lClose = slen(A_CLOSE);
  ctl[3] = 0;
  ctl[4] = 0;
  if (p < 0 || p > len || seq < 1 || scrcap < 16 || lEnd < 8) return 0; /* EQ needs literals of 8 bytes or more */
  for (;;) {
    if (count) {
      /* `,` between entries, any JSON whitespace around it */
      i32 q = p;
      if (q + 9 <= len && *(const u64 *)(buf + q) == 0x2020202020200a2cULL /* ,\n + 6 spaces */ && buf[q + 8] == 0x7b) {
        p = q + 8;
        goto entry;
      }
      while (q < len && (buf[q] == 0x20 || buf[q] == 0x0a || buf[q] == 0x0d || buf[q] == 0x09)) q++;
      if (q >= len || buf[q] != 0x2c) break;
      q++;
      while (q < len && (buf[q] == 0x20 || buf[q] == 0x0a || buf[q] == 0x0d || buf[q] == 0x09)) q++;
      if (q >= len || buf[q] != 0x7b) break;
      p = q;
    }
  entry:
    if ((count + 1) * META > metacap || seq >= 0x7ffffff0) break;
    i32 lim = len < p + MAX_ENTRY - 16 ? len : p + MAX_ENTRY - 16;
    i32 q = p, a;
    i32 vSeq, eSeq, vTs, eTs, vComp, eComp, vEvt, eEvt, vSubj, eSubj, vCode, eCode, vText, eText;
    i32 vConf, eConf, vWctx, eWctx, vEvid, vPrev, vHash, frn;
    EQ(q, G_SEQ, lSeq);
    q += lSeq;
    vSeq = q;
    while (q < lim && buf[q] >= 0x30 && buf[q] <= 0x39) q++;
    eSeq = q;
    if (eSeq - vSeq < 1 || eSeq - vSeq > 10 || buf[vSeq] == 0x30) break;
    {
      u64 v = 0;
      for (i32 i = vSeq; i < eSeq; i++) v = v * 10 + (u64)(buf[i] - 0x30);
      if (v != (u64)seq) break;
    }
    STRING_MEMBER(G_TS, lTs, vTs, eTs, 1);
    STRING_MEMBER(G_COMP, lComp, vComp, eComp, 1);
    STRING_MEMBER(G_EVT, lEvt, vEvt, eEvt, 1);
    STRING_MEMBER(G_SUBJ, lSubj, vSubj, eSubj, 1);
    STRING_MEMBER(G_CODE, lCode, vCode, eCode, 0); /* reason_code: no escapes */
    STRING_MEMBER(G_TEXT, lText, vText, eText, 1);
    EQ(q, G_FACT, lFact);
    q += lFact;
    /* factor_refs, compacted into scr: [] or [ then strings one per line ] */
    frn = 0;
    if (q + 2 <= lim && buf[q] == 0x5b && buf[q + 1] == 0x5d) {
      scr[frn++] = 0x5b;
      scr[frn++] = 0x5d;
      q += 2;
    } else {
      if (!eqlit(buf, q, lim, A_OPEN, lOpen)) break;
      q += lOpen;
      scr[frn++] = 0x5b;
      i32 bad = 0;
      for (;;) {
        i32 e = sstr(buf, q, lim, 1);
        if (e < 0 || frn + (e - q) + 9 > scrcap) {
          bad = 1;
          break;
        }
        /* what follows the element is matched first, so the 8-byte copy reads inside it */
        i32 sep = eqlit(buf, e, lim, A_SEP, lSep);
        if (!sep && !eqlit(buf, e, lim, A_CLOSE, lClose)) {
          bad = 1;
          break;
        }
        cp(scr + frn, buf + q, e - q);
        frn += e - q;
        scr[frn++] = sep ? 0x2c : 0x5d;
        q = e + (sep ? lSep : lClose);
        if (!sep) break;
      }
      if (bad) break;
    }
    NULLABLE_MEMBER(G_CONF, lConf, vConf, eConf);
    NULLABLE_MEMBER(G_WCTX, lWctx, vWctx, eWctx);
    EQ(q, G_EVID, lEvid);
    vEvid = q + lEvid;
    DIG(vEvid, 1);
    q = vEvid + 73;
    EQ(q, G_PREV, lPrev);
    vPrev = q + lPrev;
    DIG(vPrev, 0);
    q = vPrev + 73;
    {
      /* prev_hash links: its 71 characters are the previous stored entry_hash (so it is hex too);
         compared as 9 words, the last overlapping */
      const u8 *h = buf + vPrev + 1;
      i32 i = 0;
      while (i < 64 && *(const u64 *)(h + i) == *(const u64 *)(last + i)) i += 8;
      if (i < 64 || *(const u64 *)(h + 63) != *(const u64 *)(last + 63)) break;
    }
    EQ(q, G_HASH, lHash);
    vHash = q + lHash;
    DIG(vHash, 0); /* its hex is checked by ledger_verify */
    q = vHash + 73;
    EQ(q, G_END, lEnd);
    q += lEnd;

    /* Both forms are shorter than the entry's source; 16 bytes of slack for the word copies. */
    a = q - p;
    if (pn + a + 16 > precap || mn + a + 17 > mancap) break;
    {
      /* preimage: {"component":C | ,"event_type":..,"subject_ref":SR | ,"ts":TS | ,"why":{..}} */
      u8 *d = pre + pn;
      L2(d, C_COMP, 13);
      CP(d, buf + vComp, eComp - vComp);
      i32 x1 = (i32)(d - pre);
      L2(d, C_EVT, 14);
      CP(d, buf + vEvt, eEvt - vEvt);
      L3(d, C_EVID, 19);
      CP(d, buf + vEvid, 73);
      L2(d, C_PREV, 13);
      CP(d, buf + vPrev, 73);
      L1(d, C_SEQ, 7);
      CP(d, buf + vSeq, eSeq - vSeq);
      L2(d, C_SUBJ, 15);
      CP(d, buf + vSubj, eSubj - vSubj);
      i32 x2 = (i32)(d - pre);
      L1(d, C_TS, 6);
      CP(d, buf + vTs, eTs - vTs);
      i32 x3 = (i32)(d - pre);
      L3(d, C_CONF, 21);
      CP(d, buf + vConf, eConf - vConf);
      L2(d, C_FACT, 15);
      CP(d, scr, frn);
      L2(d, C_CODE, 15);
      CP(d, buf + vCode, eCode - vCode);
      L2(d, C_TEXT, 15);
      CP(d, buf + vText, eText - vText);
      L3(d, C_WCTX, 18);
      CP(d, buf + vWctx, eWctx - vWctx);
      L1(d, C_END, 2);
      i32 pe = (i32)(d - pre);
      /* manifest form: the preimage's runs around ts, entry_hash put after component. The 8-byte copies
         read at most 7 bytes past a run's end: still inside pre's entry (ts and why follow) or its slack. */
      u8 *o = man + mn;
      if (notFirst) *o++ = 0x2c;
      CP(o, pre + pn, x1 - pn);
      L2(o, C_HASH, 14);
      CP(o, buf + vHash, 73);
      CP(o, pre + x1, x2 - x1);
      CP(o, pre + x3, pe - x3);
      i32 *m = meta + count * META;
      /* reason_code: a hash of its length and first and last 8 bytes (its bytes are compared anyway) */
      i32 cl = eCode - vCode - 2;
      const u8 *cs = buf + vCode + 1;
      u64 w0 = *(const u64 *)cs; /* in bounds: the entry goes on after the code */
      u64 w1 = cl >= 8 ? *(const u64 *)(cs + cl - 8) : 0;
      if (cl < 8) w0 &= (1ULL << (8 * cl)) - 1;
      u64 hx = (w0 ^ (w1 * 0x9e3779b97f4a7c15ULL) ^ (u64)cl) * 0xff51afd7ed558ccdULL;
      u32 h = (u32)(hx >> 32);
      m[0] = pn;
      m[1] = pe;
      m[2] = (i32)(o - man);
      m[3] = q;
      m[4] = vHash + 1;
      m[5] = vCode + 1;
      m[6] = eCode - 1;
      m[7] = (i32)h;
      {
        /* reason codes already reported in this scan (up to CODES of them): -1, JavaScript skips it */
        i32 nc = ctab[0], k = 0;
        if (nc < 0 || nc > CODES) nc = ctab[0] = 0;
        for (; k < nc; k++) {
          i32 *c = ctab + 1 + k * 2;
          if (c[0] != (i32)h || c[1] != cl) continue;
          const u8 *t = cbytes + k * CODE_BYTES;
          i32 j = 0;
          while (j + 8 <= cl && *(const u64 *)(t + j) == *(const u64 *)(cs + j)) j += 8;
          if (j + 8 <= cl) continue;
          while (j < cl && t[j] == cs[j]) j++;
          if (j == cl) break;
        }
        if (k < nc) m[5] = -1;
        else if (nc < CODES && cl <= CODE_BYTES) {
          ctab[1 + nc * 2] = (i32)h;
          ctab[2 + nc * 2] = cl;
          for (i32 j = 0; j < cl; j++) cbytes[nc * CODE_BYTES + j] = cs[j];
          ctab[0] = nc + 1;
        }
      }
      pn = pe;
      mn = m[2];
    }
    {
      /* the stored entry_hash becomes `last`: 71 bytes as 9 words, the last overlapping */
      const u8 *h = buf + vHash + 1;
      for (i32 i = 0; i < 64; i += 8) *(u64 *)(last + i) = *(const u64 *)(h + i);
      *(u64 *)(last + 63) = *(const u64 *)(h + 63);
    }
    notFirst = 1;
    count++;
    seq++;
    p = q;
  }
  ctl[0] = p;
  ctl[3] = pn;
  ctl[4] = mn;
  return count;
}

/*
 * The stored entry_hash of entry i (meta[i*8+4]: buf offset of "sha256:" + 64 hex) against the lower-case
 * hex of the computed digest dig[i*32 .. +32]. Returns the index of the first entry that differs, or n.
 */
i32 ledger_verify(const u8 *buf, i32 len, const u8 *dig, i32 diglen, const i32 *meta, i32 n) {
  for (i32 i = 0; i < n; i++) {
    i32 off = meta[i * META + 4] + 7;
    if (off < 0 || off + 64 > len || (i + 1) * 32 > diglen) return i;
    const u8 *d = dig + i * 32;
    const u8 *h = buf + off;
    for (i32 j = 0; j < 32; j += 4) {
      /* 4 digest bytes -> 8 lower-case hex characters in one word (first character in the lowest byte) */
      u64 x = (u64)d[j] | ((u64)d[j + 1] << 8) | ((u64)d[j + 2] << 16) | ((u64)d[j + 3] << 24);
      x = ((x & 0xffff0000ULL) << 16) | (x & 0xffffULL);
      x = ((x & 0x0000ff000000ff00ULL) << 8) | (x & 0x000000ff000000ffULL); /* byte k at 2k */
      u64 nib = ((x >> 4) & 0x000f000f000f000fULL) | ((x & 0x000f000f000f000fULL) << 8);
      u64 hx = nib + 0x3030303030303030ULL + (((nib + 0x0606060606060606ULL) >> 4) & ONES) * 0x27;
      if (*(const u64 *)(h + 2 * j) != hx) return i;
    }
  }
  return n;
}
