/// The fixed part of an AAC frame's ADTS header (ISO/IEC 13818-7 and 14496-3, 1.A.2), as MPEG-TS
/// carries AAC. MP4 carries the same frames raw, with the stream's configuration once in its
/// header (an AudioSpecificConfig): Podium writes its MP4 outputs' audio that way itself, so the
/// configuration is known before the first fragment is cut.
package struct ADTSHeader: Equatable {
    /// Bytes of the header in front of the raw frame: 7, or 9 with a CRC.
    package let length: Int
    /// MPEG-4 audio object type (2 for AAC LC).
    let objectType: UInt8
    /// Index into the standard's sampling frequency table.
    let samplingFrequencyIndex: UInt8
    /// Channel configuration; 0 means the frame holds its own layout (not taken here).
    let channelConfiguration: UInt8

    /// The header at the start of `bytes`, or nil when they do not start with one Podium can
    /// rewrite as a single raw frame (no sync word, a reserved rate, an in-band channel layout,
    /// several raw data blocks, or a frame longer than the bytes).
    package init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 7, bytes[0] == 0xFF, bytes[1] & 0xF6 == 0xF0 else { return nil }
        let protectionAbsent = bytes[1] & 0x01 == 1
        let frequency = (bytes[2] >> 2) & 0x0F
        let channels = ((bytes[2] & 0x01) << 2) | (bytes[3] >> 6)
        let frameLength = (Int(bytes[3] & 0x03) << 11) | (Int(bytes[4]) << 3) | Int(bytes[5] >> 5)
        let rawBlocks = bytes[6] & 0x03
        let length = protectionAbsent ? 7 : 9
        guard frequency < 13, channels != 0, rawBlocks == 0, frameLength > length, frameLength <= bytes.count else { return nil }
        self.length = length
        objectType = (bytes[2] >> 6) + 1
        samplingFrequencyIndex = frequency
        channelConfiguration = channels
    }

    /// The two-byte AudioSpecificConfig an MP4 `esds` holds for frames with this header.
    package var audioSpecificConfig: [UInt8] {
        [objectType << 3 | samplingFrequencyIndex >> 1, (samplingFrequencyIndex & 0x01) << 7 | channelConfiguration << 3]
    }
}
