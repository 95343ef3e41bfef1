;; SIMD kernels over one GeneralNames value (RFC 5280 §4.2.1.6), for certificates with very
;; many SANs. The source of general-names-wasm.ts: `pnpm build:wasm` compiles this file and
;; a test checks that the committed bytes are its compilation.
;;
;; `index` walks the entries of the value (strict DER framing, as indexGeneralNames reads it
;; in JavaScript, which it stands in for) and notes which entries are plain dNSNames; `find`
;; passes over the entries that cannot equal a reference. Neither judges: a header `index`
;; does not read makes it give up (-1) and JavaScript indexes the value (and refuses it, if
;; it must); an entry that is not a plain dNSName, and a name that `find` cannot rule out,
;; go to the exact rules in JavaScript. So no result depends on whether the kernels ran.
;;
;; Memory, laid out by the caller (general-names-kernel.ts): reference A at [0, 256),
;; reference B at [256, 512), a result word at 512, the value from 528 with 64 bytes of
;; room after it (16-byte loads past the end of a name stay in bounds; the lanes past the
;; end are masked, so what the room holds does not matter), then the entries' tags (one byte each), starts and ends (i32, offsets in
;; the value) and the list of entries that are not plain dNSNames (i32).
(module
  (memory (export "memory") 1)

  ;; Lanes 0..n-1 set (n may exceed 16).
  (func $lanes (param $n i32) (result v128)
    (i8x16.gt_s
      (i8x16.splat (select (local.get $n) (i32.const 16) (i32.lt_s (local.get $n) (i32.const 16))))
      (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)))

  ;; Whether [p, p+n) and [q, q+n) are equal with bit 0x20 of every byte ignored: true for
  ;; every pair equal without ASCII case (and for some others, which the caller refuses).
  (func $foldEq (param $p i32) (param $q i32) (param $n i32) (result i32)
    (local $j i32)
    (block $unequal
      (loop $chunks
        (if (i32.ge_s (local.get $j) (local.get $n)) (then (return (i32.const 1))))
        (br_if $unequal
          (v128.any_true
            (v128.and
              (i8x16.ne
                (v128.or (v128.load (i32.add (local.get $p) (local.get $j))) (i8x16.splat (i32.const 0x20)))
                (v128.or (v128.load (i32.add (local.get $q) (local.get $j))) (i8x16.splat (i32.const 0x20))))
              (call $lanes (i32.sub (local.get $n) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $chunks)))
    (i32.const 0))

  ;; index(off, limit, value, tags, starts, ends, odd): reads the entries from the header at
  ;; $off up to $limit and returns how many there are, or -1 when it meets a header it does
  ;; not read: a high tag number, an indefinite length, a length in more than two octets, a
  ;; length that is not minimal, or an entry running past $limit. Entry k's tag, start and
  ;; end go to $tags[k], $starts[k], $ends[k]. The entries that are not plain dNSNames are
  ;; listed at $odd, their number stored at address 512. A plain dNSName (tag 0x82) has
  ;; 1–63 bytes in preferred name syntax: letters, digits, '-' and '.', no empty label, no
  ;; label starting with '-' or '.', no '-' before a '.' or at the end, optionally behind a
  ;; leading "*." (then at least one more byte). At most 63 bytes, so no label is too long.
  (func (export "index")
    (param $off i32) (param $limit i32) (param $value i32)
    (param $tags i32) (param $starts i32) (param $ends i32) (param $odd i32)
    (result i32)
    (local $k i32) (local $odds i32) (local $tag i32) (local $b i32)
    (local $s i32) (local $e i32) (local $len i32) (local $q i32)
    (local $cur v128) (local $prv v128) (local $dot v128) (local $sep v128) (local $bad v128)
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $off) (local.get $limit)))
        (local.set $tag (i32.load8_u (local.get $off)))
        (if (i32.eq (i32.and (local.get $tag) (i32.const 0x1f)) (i32.const 0x1f))
          (then (return (i32.const -1))))
        (if (i32.gt_u (i32.add (local.get $off) (i32.const 2)) (local.get $limit))
          (then (return (i32.const -1))))
        (local.set $b (i32.load8_u offset=1 (local.get $off)))
        (block $header
          (if (i32.lt_u (local.get $b) (i32.const 0x80))
            (then
              (local.set $len (local.get $b))
              (local.set $s (i32.add (local.get $off) (i32.const 2)))
              (br $header)))
          (if (i32.eq (local.get $b) (i32.const 0x81))
            (then
              (if (i32.gt_u (i32.add (local.get $off) (i32.const 3)) (local.get $limit))
                (then (return (i32.const -1))))
              (local.set $len (i32.load8_u offset=2 (local.get $off)))
              (if (i32.lt_u (local.get $len) (i32.const 0x80)) (then (return (i32.const -1))))
              (local.set $s (i32.add (local.get $off) (i32.const 3)))
              (br $header)))
          (if (i32.eq (local.get $b) (i32.const 0x82))
            (then
              (if (i32.gt_u (i32.add (local.get $off) (i32.const 4)) (local.get $limit))
                (then (return (i32.const -1))))
              (local.set $len (i32.load8_u offset=2 (local.get $off)))
              (if (i32.eqz (local.get $len)) (then (return (i32.const -1))))
              (local.set $len
                (i32.or (i32.shl (local.get $len) (i32.const 8)) (i32.load8_u offset=3 (local.get $off))))
              (local.set $s (i32.add (local.get $off) (i32.const 4)))
              (br $header)))
          (return (i32.const -1)))
        (local.set $e (i32.add (local.get $s) (local.get $len)))
        (if (i32.gt_u (local.get $e) (local.get $limit)) (then (return (i32.const -1))))
        (i32.store8 (i32.add (local.get $tags) (local.get $k)) (local.get $tag))
        (i32.store (i32.add (local.get $starts) (i32.shl (local.get $k) (i32.const 2)))
          (i32.sub (local.get $s) (local.get $value)))
        (i32.store (i32.add (local.get $ends) (i32.shl (local.get $k) (i32.const 2)))
          (i32.sub (local.get $e) (local.get $value)))
        (local.set $off (local.get $e))
        (block $odd
          (br_if $odd (i32.ne (local.get $tag) (i32.const 0x82)))
          (br_if $odd (i32.eqz (local.get $len)))
          (br_if $odd (i32.gt_u (local.get $len) (i32.const 63)))
          (if (i32.eq (i32.load8_u (local.get $s)) (i32.const 0x2a))
            (then
              (br_if $odd (i32.lt_u (local.get $len) (i32.const 3)))
              (br_if $odd (i32.ne (i32.load8_u offset=1 (local.get $s)) (i32.const 0x2e)))
              (local.set $s (i32.add (local.get $s) (i32.const 2)))))
          ;; The last byte is a letter or a digit.
          (local.set $q (i32.load8_u (i32.sub (local.get $e) (i32.const 1))))
          (br_if $odd
            (i32.and
              (i32.ge_u (i32.sub (i32.or (local.get $q) (i32.const 0x20)) (i32.const 0x61)) (i32.const 26))
              (i32.ge_u (i32.sub (local.get $q) (i32.const 0x30)) (i32.const 10))))
          ;; Each byte is checked with the one before it; before the first, a virtual dot.
          (local.set $q (local.get $s))
          (local.set $prv
            (i8x16.replace_lane 0 (v128.load (i32.sub (local.get $q) (i32.const 1))) (i32.const 0x2e)))
          (loop $chunks
            (local.set $cur (v128.load (local.get $q)))
            (local.set $dot (i8x16.eq (local.get $cur) (i8x16.splat (i32.const 0x2e))))
            (local.set $sep (v128.or (local.get $dot) (i8x16.eq (local.get $cur) (i8x16.splat (i32.const 0x2d)))))
            (local.set $bad
              (v128.or
                ;; neither a separator nor a letter nor a digit
                (v128.andnot
                  (v128.not (local.get $sep))
                  (v128.or
                    (i8x16.lt_u
                      (i8x16.sub (v128.or (local.get $cur) (i8x16.splat (i32.const 0x20))) (i8x16.splat (i32.const 0x61)))
                      (i8x16.splat (i32.const 26)))
                    (i8x16.lt_u
                      (i8x16.sub (local.get $cur) (i8x16.splat (i32.const 0x30)))
                      (i8x16.splat (i32.const 10)))))
                (v128.or
                  ;; a separator right after a dot (a label starting with '-' or '.')
                  (v128.and (i8x16.eq (local.get $prv) (i8x16.splat (i32.const 0x2e))) (local.get $sep))
                  ;; a dot right after '-'
                  (v128.and (i8x16.eq (local.get $prv) (i8x16.splat (i32.const 0x2d))) (local.get $dot)))))
            ;; Lanes at or past the end of the name are not looked at.
            (local.set $len (i32.sub (local.get $e) (local.get $q)))
            (br_if $odd
              (v128.any_true
                (v128.and
                  (local.get $bad)
                  (i8x16.gt_s
                    (i8x16.splat (select (local.get $len) (i32.const 16) (i32.lt_s (local.get $len) (i32.const 16))))
                    (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)))))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (if (i32.lt_u (local.get $q) (local.get $e))
              (then
                (local.set $prv (v128.load (i32.sub (local.get $q) (i32.const 1))))
                (br $chunks))))
          ;; A plain dNSName: not listed.
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $entries))
        (i32.store (i32.add (local.get $odd) (i32.shl (local.get $odds) (i32.const 2))) (local.get $k))
        (local.set $odds (i32.add (local.get $odds) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (i32.store (i32.const 512) (local.get $odds))
    (local.get $k))

  ;; find(k, count, tags, starts, ends, value, aLen, bLen): the first entry from $k that may
  ;; be a dNSName equal without case to reference A (bytes [0, aLen)), or to "*" followed by
  ;; reference B (bytes [256, 256+bLen), B starting with '.'; bLen 0: no wildcard search),
  ;; one trailing dot of the name ignored.
  (func (export "find")
    (param $k i32) (param $count i32) (param $tags i32) (param $starts i32) (param $ends i32) (param $value i32)
    (param $aLen i32) (param $bLen i32)
    (result i32)
    (local $s i32) (local $n i32) (local $j i32) (local $m i32)
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        (if (i32.eq (i32.load8_u (i32.add (local.get $tags) (local.get $k))) (i32.const 0x82))
          (then
            (local.set $s (i32.load (i32.add (local.get $starts) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $n (i32.sub
              (i32.load (i32.add (local.get $ends) (i32.shl (local.get $k) (i32.const 2))))
              (local.get $s)))
            ;; Only a name of one of four lengths can be equal: the bytes of the others are not read.
            (if (i32.or
                  (i32.le_u (i32.sub (local.get $n) (local.get $aLen)) (i32.const 1))
                  (i32.and
                    (i32.ne (local.get $bLen) (i32.const 0))
                    (i32.le_u (i32.sub (local.get $n) (i32.add (local.get $bLen) (i32.const 1))) (i32.const 1))))
              (then
                (local.set $s (i32.add (local.get $value) (local.get $s)))
                ;; The name without one trailing dot.
                (if (i32.and
                      (i32.ne (local.get $n) (i32.const 0))
                      (i32.eq (i32.load8_u (i32.sub (i32.add (local.get $s) (local.get $n)) (i32.const 1))) (i32.const 0x2e)))
                  (then (local.set $n (i32.sub (local.get $n) (i32.const 1)))))
                ;; $foldEq, written out here: this is the comparison almost every candidate gets.
                (if (i32.eq (local.get $n) (local.get $aLen))
                  (then
                    (local.set $j (i32.const 0))
                    (block $unequal
                      (loop $chunks
                        (br_if $done (i32.ge_s (local.get $j) (local.get $n)))
                        (local.set $m (i32.sub (local.get $n) (local.get $j)))
                        (br_if $unequal
                          (v128.any_true
                            (v128.and
                              (i8x16.ne
                                (v128.or (v128.load (i32.add (local.get $s) (local.get $j))) (i8x16.splat (i32.const 0x20)))
                                (v128.or (v128.load (local.get $j)) (i8x16.splat (i32.const 0x20))))
                              (i8x16.gt_s
                                (i8x16.splat (select (local.get $m) (i32.const 16) (i32.lt_s (local.get $m) (i32.const 16))))
                                (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)))))
                        (local.set $j (i32.add (local.get $j) (i32.const 16)))
                        (br $chunks)))))
                (if (i32.and
                      (i32.and
                        (i32.ne (local.get $bLen) (i32.const 0))
                        (i32.eq (local.get $n) (i32.add (local.get $bLen) (i32.const 1))))
                      (i32.eq (i32.load8_u (local.get $s)) (i32.const 0x2a)))
                  (then
                    (br_if $done
                      (call $foldEq (i32.add (local.get $s) (i32.const 1)) (i32.const 256) (local.get $bLen)))))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $entries)))
    (local.get $k))
)
