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
	case strings.HasSuffix(n, "latitude") || strings.HasSuffix(n, "lat") && len(n) <= 8:
		return HintLat
	case strings.HasSuffix(n, "longitude") || (strings.HasSuffix(n, "lng") || strings.HasSuffix(n, "lon")) && len(n) <= 8:
		return HintLon
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
