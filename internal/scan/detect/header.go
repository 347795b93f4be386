package detect

import (
	"strings"
	"unicode"
)

// Hint is what a column header suggests a column holds.
type Hint uint8

const (
	HintNone Hint = iota
	HintVIN
	HintPlate
	HintCNID
	HintPhone
	HintLat
	HintLon
	HintTime
	HintDevice  // device/terminal identifiers (IMEI, ICCID, T-Box serial)
	HintVehicle // a vehicle key that is not a VIN (vehicle_id, taxi id)
	HintPerson  // a person key (user_id, driver_id)
	HintID      // some other identifier column ("id", "*_id")
	HintDate    // a date without time of day, in a separate column (PLT)
	HintClock   // a time of day without date
)

var hintNames = [...]string{"", "vin", "plate", "cn_id", "phone", "lat", "lon", "time", "device_id", "vehicle_id", "person_id", "id", "date", "clock"}

func (h Hint) String() string { return hintNames[h] }

// exact header names (normalised: lower case, spaces/underscores/dashes and
// bracketed units removed).
var headerExact = map[string]Hint{
	"vin": HintVIN, "vincode": HintVIN, "vinno": HintVIN, "vehicleidentificationnumber": HintVIN,
	"framenumber": HintVIN, "frameno": HintVIN, "chassisno": HintVIN, "车架号": HintVIN,
	"车辆识别代号": HintVIN, "车辆识别码": HintVIN, "车辆vin": HintVIN, "vin码": HintVIN,
	"plate": HintPlate, "plateno": HintPlate, "platenumber": HintPlate, "licenseplate": HintPlate,
	"licenceplate": HintPlate, "carno": HintPlate, "vehicleno": HintPlate, "vehicleplate": HintPlate,
	"车牌": HintPlate, "车牌号": HintPlate, "车牌号码": HintPlate, "号牌": HintPlate, "号牌号码": HintPlate,
	"idcard": HintCNID, "idno": HintCNID, "idnumber": HintCNID, "idcardno": HintCNID, "identitycard": HintCNID,
	"身份证": HintCNID, "身份证号": HintCNID, "身份证号码": HintCNID, "证件号": HintCNID, "证件号码": HintCNID,
	"phone": HintPhone, "mobile": HintPhone, "tel": HintPhone, "telephone": HintPhone, "phoneno": HintPhone,
	"phonenumber": HintPhone, "mobileno": HintPhone, "cellphone": HintPhone, "msisdn": HintPhone,
	"手机": HintPhone, "手机号": HintPhone, "手机号码": HintPhone, "电话": HintPhone, "联系电话": HintPhone, "联系方式": HintPhone,
	"lat": HintLat, "latitude": HintLat, "gpslat": HintLat, "wgslat": HintLat, "wgs84lat": HintLat, "纬度": HintLat, "y坐标": HintLat,
	"lon": HintLon, "lng": HintLon, "long": HintLon, "longitude": HintLon, "gpslon": HintLon, "gpslng": HintLon,
	"wgslon": HintLon, "wgslng": HintLon, "wgs84lon": HintLon, "经度": HintLon, "x坐标": HintLon,
	"time": HintTime, "timestamp": HintTime, "ts": HintTime, "datetime": HintTime, "trackedat": HintTime,
	"gpstime": HintTime, "createdat": HintTime, "eventtime": HintTime, "collecttime": HintTime, "utc": HintTime,
	"时间": HintTime, "采集时间": HintTime, "上报时间": HintTime, "定位时间": HintTime, "时间戳": HintTime,
	"date": HintDate, "日期": HintDate,
	"imei": HintDevice, "iccid": HintDevice, "imsi": HintDevice, "deviceid": HintDevice, "terminalid": HintDevice,
	"terminalno": HintDevice, "tboxid": HintDevice, "tboxsn": HintDevice, "simno": HintDevice, "sn": HintDevice,
	"设备号": HintDevice, "设备id": HintDevice, "终端号": HintDevice, "终端id": HintDevice, "设备编号": HintDevice,
	"vehicleid": HintVehicle, "carid": HintVehicle, "vid": HintVehicle, "taxiid": HintVehicle, "busid": HintVehicle,
	"truckid": HintVehicle, "车辆id": HintVehicle, "车辆编号": HintVehicle,
	"userid": HintPerson, "driverid": HintPerson, "uid": HintPerson, "customerid": HintPerson, "personid": HintPerson,
	"memberid": HintPerson, "accountid": HintPerson, "用户id": HintPerson, "司机id": HintPerson, "用户": HintPerson, "司机": HintPerson,
	"id": HintID,
}

// NormalizeHeader lower-cases a header and drops separators, quotes and a
// trailing bracketed unit ("VEHICLE_SPEED ()" -> "vehiclespeed").
func NormalizeHeader(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	if i := strings.IndexAny(h, "(（["); i > 0 {
		h = h[:i]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if r == '_' || r == '-' || r == ' ' || r == '.' || r == '"' || r == '\'' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// HeaderHint classifies a column header.
func HeaderHint(h string) Hint {
	n := NormalizeHeader(h)
	if n == "" {
		return HintNone
	}
	if v, ok := headerExact[n]; ok {
		return v
	}
	switch {
	case strings.HasSuffix(n, "vin"):
		return HintVIN
	case strings.HasSuffix(n, "time") || strings.HasSuffix(n, "timestamp") || strings.HasSuffix(n, "时间"):
		return HintTime
	}
	if c, _, _ := CoordHeader(h); c != HintNone && !WeakCoordName(h) {
		return c
	}
	switch {
	case strings.HasSuffix(n, "plate") || strings.HasSuffix(n, "plateno") || strings.Contains(n, "车牌"):
		return HintPlate
	case strings.HasSuffix(n, "phone") || strings.HasSuffix(n, "mobile") || strings.Contains(n, "手机"):
		return HintPhone
	case strings.HasSuffix(n, "imei") || strings.HasSuffix(n, "iccid") || strings.HasPrefix(n, "device") || strings.HasPrefix(n, "terminal"):
		return HintDevice
	case strings.HasPrefix(n, "vehicle") && strings.HasSuffix(n, "id"), strings.HasPrefix(n, "car") && strings.HasSuffix(n, "id"):
		return HintVehicle
	case strings.HasPrefix(n, "user") || strings.HasPrefix(n, "driver") || strings.HasPrefix(n, "customer"):
		if strings.HasSuffix(n, "id") || strings.HasSuffix(n, "no") {
			return HintPerson
		}
	case strings.HasSuffix(n, "id") || strings.HasSuffix(n, "编号"):
		return HintID
	}
	return HintNone
}

// Coordinate words: anywhere in a header as a token (pickup_lat, centerLon,
// lat_gcj02, GPS纬度), or only as the last token ("long": gps_long, not
// long_term), or only as the whole header (y, x, wd, jd: weak names).
var (
	latTokens     = map[string]bool{"lat": true, "latitude": true, "weidu": true}
	lonTokens     = map[string]bool{"lon": true, "lng": true, "longitude": true, "jingdu": true}
	lonLastTokens = map[string]bool{"long": true}
	weakNames     = map[string]Hint{"y": HintLat, "x": HintLon, "wd": HintLat, "jd": HintLon}
)

// HeaderTokens splits a header into lower-case tokens at separators
// (anything but ASCII letters and digits), camelCase humps and
// letter-digit boundaries: "pickupLat_gcj02" -> pickup, lat, gcj, 02.
// Non-ASCII runs (CJK) are kept as tokens of their own.
func HeaderTokens(h string) []string {
	h = strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")
	var out []string
	var cur []rune
	kind := 0 // 0 separator, 1 lower, 2 upper, 3 digit, 4 other letter (CJK)
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range h {
		k := 0
		switch {
		case r >= 'a' && r <= 'z':
			k = 1
		case r >= 'A' && r <= 'Z':
			k = 2
		case r >= '0' && r <= '9':
			k = 3
		case r >= 0x80 && unicode.IsLetter(r):
			k = 4
		}
		switch {
		case k == 0:
			flush()
		case kind == 0:
		case k == 3 || kind == 3 || k == 4 || kind == 4:
			if k != kind {
				flush()
			}
		case kind == 1 && k == 2:
			flush() // camelCase hump
		case kind == 2 && k == 1 && len(cur) > 1:
			// "GPSLat": the last capital starts the next word.
			last := cur[len(cur)-1]
			cur = cur[:len(cur)-1]
			flush()
			cur = append(cur, last)
		}
		if k != 0 {
			cur = append(cur, r)
		}
		kind = k
	}
	flush()
	return out
}

// qualifiers that make a coordinate-named column something else: an error,
// a precision, a count or a flag about the coordinate (lat_err, is_long).
var notCoordTokens = map[string]bool{
	"err": true, "error": true, "accuracy": true, "acc": true, "precision": true, "prec": true, "std": true,
	"sigma": true, "var": true, "variance": true, "diff": true, "delta": true, "offset": true, "rate": true,
	"speed": true, "vel": true, "velocity": true, "dir": true, "direction": true, "count": true, "cnt": true,
	"num": true, "flag": true, "valid": true, "is": true, "has": true, "ref": true, "hemisphere": true,
	"type": true, "unit": true, "dop": true, "hdop": true, "bin": true, "bucket": true, "idx": true,
	"index": true, "zone": true, "grid": true, "cell": true, "tile": true, "span": true, "range": true,
	"res": true, "resolution": true, "id": true, "code": true, "name": true, "text": true, "str": true, "desc": true,
}

// CoordHeader says whether a header names a latitude or longitude column.
// exact: a name that says nothing else (lat, latitude, 纬度, gps_lat ...);
// otherwise the coordinate word is one token among others or a weak name,
// and the caller should see coordinate-like values before taking the
// column. stem is the header without its coordinate word (normalised), so
// that pickup_lat pairs with pickup_lon and center_lat with center_lon. A
// header naming both (lat_lng) is neither.
func CoordHeader(h string) (hint Hint, stem string, exact bool) {
	n := NormalizeHeader(h)
	if n == "" {
		return HintNone, "", false
	}
	if v, ok := headerExact[n]; ok {
		if v == HintLat || v == HintLon {
			return v, "", true
		}
		return HintNone, "", false
	}
	if v, ok := weakNames[n]; ok {
		return v, "", false
	}
	// Chinese: 纬度 / 经度 anywhere (GPS纬度, 纬度(度)).
	hasLat, hasLon := strings.Contains(n, "纬度"), strings.Contains(n, "经度")
	if hasLat != hasLon {
		if hasLat {
			return HintLat, strings.Replace(n, "纬度", "", 1), false
		}
		return HintLon, strings.Replace(n, "经度", "", 1), false
	}
	if hasLat {
		return HintNone, "", false
	}
	if i := strings.IndexAny(h, "(（["); i > 0 {
		h = h[:i]
	}
	if strings.ContainsAny(h, "=:") {
		return HintNone, "", false // a value (lat=30.1), not a name
	}
	toks := HeaderTokens(h)
	if len(toks) > 6 {
		return HintNone, "", false // prose, not a column name
	}
	found := HintNone
	at := -1
	for i, t := range toks {
		var k Hint
		switch {
		case latTokens[t]:
			k = HintLat
		case lonTokens[t], lonLastTokens[t] && i == len(toks)-1 && i > 0:
			k = HintLon
		default:
			continue
		}
		if found != HintNone && found != k {
			return HintNone, "", false // lat_lng: a pair in one column
		}
		found, at = k, i
	}
	for _, t := range toks {
		if notCoordTokens[t] {
			return HintNone, "", false
		}
	}
	if found != HintNone {
		var b strings.Builder
		for i, t := range toks {
			if i != at {
				b.WriteString(t)
			}
		}
		return found, b.String(), false
	}
	// Glued words without separators (startlat, pickuplatitude).
	switch {
	case strings.HasSuffix(n, "latitude"):
		return HintLat, strings.TrimSuffix(n, "latitude"), false
	case strings.HasSuffix(n, "longitude"):
		return HintLon, strings.TrimSuffix(n, "longitude"), false
	case strings.HasSuffix(n, "lat") && len(n) <= 8 && n != "flat":
		return HintLat, strings.TrimSuffix(n, "lat"), false
	case (strings.HasSuffix(n, "lng") || strings.HasSuffix(n, "lon")) && len(n) <= 8:
		return HintLon, n[:len(n)-3], false
	}
	return HintNone, "", false
}

// WeakCoordName: y, x, wd, jd. They name coordinates only as a pair with
// coordinate values below them; they are no header hint otherwise (a column
// named x may hold anything).
func WeakCoordName(h string) bool {
	_, ok := weakNames[NormalizeHeader(h)]
	return ok
}

// HeaderCRS is the coordinate system a header names (lat_gcj02, bd09_lng),
// or "".
func HeaderCRS(h string) string {
	n := NormalizeHeader(h)
	switch {
	case strings.Contains(n, "gcj02") || strings.Contains(n, "gcj"):
		return "gcj02"
	case strings.Contains(n, "bd09"):
		return "bd09"
	case strings.Contains(n, "wgs84"):
		return "wgs84"
	}
	return ""
}
