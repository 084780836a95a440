/// The frame's state as a template's text bindings see it, built directly from the values.
///
/// It must equal what decoding the frame's canonical JSON would give (absent optionals left out,
/// whole numbers as integers), so bindings read the same names and values as the wire format;
/// a test holds the two to equality on every fixture frame.
extension FrameOverlay {
    func bindingContext() -> JSONValue {
        var fields: [String: JSONValue] = [
            "seq": .integer(Int64(seq)), "frame": .integer(Int64(frame)), "pts": .integer(pts),
            "timeBase": .string(timeBase), "captureUTC": .string(captureUTC),
            "clock": clock.bindingValue,
            "lanes": .array(lanes.map(\.bindingValue)),
            "order": .array(order.map { .integer(Int64($0)) }),
            "records": .array(records.map { record in
                var value: [String: JSONValue] = ["type": .string(record.type), "time": record.time.bindingValue]
                if let holder = record.holder { value["holder"] = .string(holder) }
                return .object(value)
            }),
            "elements": .array([]),
        ]
        if let timecode { fields["timecode"] = .string(timecode) }
        if let dataVersion { fields["dataVersion"] = .string(dataVersion) }
        if let unit { fields["unit"] = .string(unit) }
        if let resultStatus { fields["resultStatus"] = .string(resultStatus) }
        if let leader { fields["leader"] = .integer(Int64(leader)) }
        if let camera { fields["camera"] = camera.bindingValue }
        if let line = worldRecordLine { fields["worldRecordLine"] = line.bindingValue }
        return .object(fields)
    }
}

extension FrameOverlay.Clock {
    var bindingValue: JSONValue {
        var fields: [String: JSONValue] = ["state": .string(state.rawValue), "hundredths": .integer(hundredths), "display": .string(display)]
        if let startUTC { fields["startUTC"] = .string(startUTC) }
        return .object(fields)
    }
}

extension FrameOverlay.WorldRecordLine {
    var bindingValue: JSONValue {
        .object([
            "type": .string(type), "raceTime": raceTime.bindingValue, "distanceMillimetres": .integer(distanceMillimetres),
            "positionMillimetres": .integer(positionMillimetres), "length": .integer(Int64(length)), "finished": .bool(finished),
        ])
    }
}

extension CameraPose {
    var bindingValue: JSONValue {
        .object([
            "camera": .integer(Int64(camera)), "pan": .wholeOrFraction(pan), "tilt": .wholeOrFraction(tilt), "roll": .wholeOrFraction(roll),
            "x": .wholeOrFraction(x), "y": .wholeOrFraction(y), "z": .wholeOrFraction(z), "zoom": .integer(Int64(zoom)), "focus": .integer(Int64(focus)),
        ])
    }
}

extension FrameOverlay.Time {
    var bindingValue: JSONValue { .object(["hundredths": .integer(hundredths), "display": .string(display)]) }
}

extension FrameOverlay.Lane {
    var bindingValue: JSONValue {
        var fields: [String: JSONValue] = [
            "lane": .integer(Int64(lane)),
            "splits": .array(splits.map { split in
                var value: [String: JSONValue] = [
                    "distance": .integer(Int64(split.distance)), "time": split.time.bindingValue, "rank": .integer(Int64(split.rank)),
                ]
                if let gap = split.gap { value["gap"] = .object(["hundredths": .integer(gap.hundredths), "display": .string(gap.display)]) }
                return .object(value)
            }),
        ]
        if let athlete {
            fields["athlete"] = .object([
                "id": .string(athlete.id), "givenName": .string(athlete.givenName), "familyName": .string(athlete.familyName),
                "organisation": .string(athlete.organisation),
            ])
        }
        if let reaction { fields["reaction"] = reaction.bindingValue }
        if let finish {
            var value: [String: JSONValue] = ["time": finish.time.bindingValue, "records": .array(finish.records.map { .string($0) })]
            if let rank = finish.rank { value["rank"] = .integer(Int64(rank)) }
            fields["finish"] = .object(value)
        }
        if let status { fields["status"] = .string(status) }
        if let photoFinishPending { fields["photoFinishPending"] = .bool(photoFinishPending) }
        return .object(fields)
    }
}

extension JSONValue {
    /// A number as JSON decoding gives it back: whole values as integers.
    static func wholeOrFraction(_ value: Double) -> JSONValue {
        if value.rounded() == value, abs(value) < 9e15 { return .integer(Int64(value)) }
        return .number(value)
    }
}
