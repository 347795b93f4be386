package inventory

import "github.com/xborder/xborder/internal/model"

// testFacts is the fact vocabulary of SPEC §4, plus a string fact a pack
// might add, so every fact type is exercised.
var testFacts = StaticFacts{
	"vehicles_in_china":              {Type: model.TypeInt},
	"individuals":                    {Type: model.TypeInt},
	"sensitive_individuals":          {Type: model.TypeInt},
	"national_major_project":         {Type: model.TypeBool},
	"export_control_tech_point":      {Type: model.TypeBool},
	"dual_use_item":                  {Type: model.TypeBool},
	"infers_sensitive_geo":           {Type: model.TypeBool},
	"contains_coordinates":           {Type: model.TypeBool},
	"geo_confidentiality_processed":  {Type: model.TypeBool},
	"award_provincial_or_higher":     {Type: model.TypeBool},
	"affects_national_tech_security": {Type: model.TypeBool},
	"upgrades_vehicles_in_china":     {Type: model.TypeBool},
	"remote_control_non_nfc":         {Type: model.TypeBool},
	"safety_functions": {Type: model.TypeList, Enum: []string{
		"start_operation", "power_loss", "emergency_braking", "cruise_control",
		"lane_keeping", "charge_discharge_control", "battery_temperature_control"}},
	"vehicles_served":          {Type: model.TypeInt},
	"provides_ota":             {Type: model.TypeBool},
	"sensitive_areas":          {Type: model.TypeBool},
	"region_level":             {Type: model.TypeEnum, Enum: []string{"none", "county", "prefecture", "province", "national"}},
	"time_span_days":           {Type: model.TypeNumber},
	"complete_intersections":   {Type: model.TypeInt},
	"outbound_individuals_ytd": {Type: model.TypeInt, Derived: true},
	"note":                     {Type: model.TypeString},
}

// testItems are the data item ids of SPEC §4b.
var testItems = StaticItems{}

func init() {
	for _, id := range []string{
		"rd.product_rd.design", "rd.product_rd.battery", "rd.testing.road_test",
		"rd.simulation.scenario", "production.manufacturing.bom",
		"production.manufacturing.control_code", "production.battery.manufacturing",
		"driving_automation.algorithm.model", "driving_automation.training.scene",
		"driving_automation.feature.map", "ota.upgrade.remote_control", "ota.upgrade.battery",
		"connected.vehicle.vin", "connected.vehicle.keys", "connected.vehicle.certificates",
		"connected.vehicle.control_commands", "connected.perception.flow",
		"connected.analysis.traffic_flow", "connected.platform.network_planning",
		"connected.platform.charging",
	} {
		testItems[id] = true
	}
}

var testOpts = Options{Facts: testFacts, Items: testItems}
