package oggfile

// Ogg pages carry a CRC-32 with polynomial 0x04C11DB7, MSB-first (not
// reflected), zero initial value and no final XOR. The slicing-by-8 tables
// are computed once and only read afterwards: crcTables[k][b] is the CRC of
// byte b followed by k zero bytes.
var crcTables = makeCRCTables()

func makeCRCTables() *[8][256]uint32 {
	var t [8][256]uint32
	for i := range t[0] {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			p := t[k-1][i]
			t[k][i] = p<<8 ^ t[0][p>>24]
		}
	}
	return &t
}

// crcUpdate continues the Ogg CRC-32 c over p.
func crcUpdate(c uint32, p []byte) uint32 {
	t := crcTables
	for len(p) >= 8 {
		c = t[7][byte(c>>24)^p[0]] ^ t[6][byte(c>>16)^p[1]] ^ t[5][byte(c>>8)^p[2]] ^ t[4][byte(c)^p[3]] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]]
		p = p[8:]
	}
	for _, b := range p {
		c = c<<8 ^ t[0][byte(c>>24)^b]
	}
	return c
}
