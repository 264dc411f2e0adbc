package flacfile

// FLAC protects frame headers with CRC-8 (polynomial x^8+x^2+x+1) and whole
// frames with CRC-16 (polynomial x^16+x^15+x^2+1), both MSB-first with a zero
// initial value. The tables are computed once and only read afterwards.

var (
	crc8Table   = makeCRC8Table()
	crc16Tables = makeCRC16Tables()
)

func makeCRC8Table() *[256]uint8 {
	var t [256]uint8
	for i := range t {
		c := uint8(i)
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return &t
}

// makeCRC16Tables builds slicing-by-8 tables: t[k][b] is the CRC of byte b
// followed by k zero bytes.
func makeCRC16Tables() *[8][256]uint16 {
	var t [8][256]uint16
	for i := range t[0] {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x8005
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			p := t[k-1][i]
			t[k][i] = p<<8 ^ t[0][p>>8]
		}
	}
	return &t
}

func crc8(p []byte) uint8 {
	var c uint8
	for _, b := range p {
		c = crc8Table[c^b]
	}
	return c
}

// crc16Update continues a CRC-16 over p. The CRC of a frame including its
// trailing CRC-16 bytes is zero when the frame is intact.
func crc16Update(c uint16, p []byte) uint16 {
	t := crc16Tables
	for len(p) >= 8 {
		c = t[7][byte(c>>8)^p[0]] ^ t[6][byte(c)^p[1]] ^ t[5][p[2]] ^ t[4][p[3]] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]]
		p = p[8:]
	}
	for _, b := range p {
		c = c<<8 ^ t[0][byte(c>>8)^b]
	}
	return c
}
