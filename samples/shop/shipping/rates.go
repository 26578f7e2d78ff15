// Package shipping quotes shipping costs, creates a shipment for each placed order (it listens
// to orders' OrderPlaced events), dispatches shipments and tracks them. Service, DynamoDB store
// (the shipments table) and HTTP handler are in this one package.
package shipping

import (
	"strings"

	"example.com/shop/models"
)

// FreeShippingOver is the subtotal, in cents, from which shipping is free. main sets it from
// the configuration; the cart reads it to show "add X for free shipping" and orders read it
// (through Quote) when they price an order.
var FreeShippingOver int64 = 5000

// OriginCountry is where the warehouse is.
const OriginCountry = "FR"

// Flat rates in cents by destination zone.
const (
	DomesticRate      int64 = 490
	EURate            int64 = 990
	InternationalRate int64 = 1990
)

var euCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DE": true, "DK": true, "EE": true,
	"ES": true, "FI": true, "FR": true, "GR": true, "HR": true, "HU": true, "IE": true, "IT": true,
	"LT": true, "LU": true, "LV": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true,
	"SE": true, "SI": true, "SK": true,
}

// Zone names the rate zone of a destination country.
func Zone(country string) string {
	c := strings.ToUpper(country)
	switch {
	case c == OriginCountry:
		return "domestic"
	case euCountries[c]:
		return "eu"
	default:
		return "international"
	}
}

// Quote returns the shipping cost of an order with the given subtotal to country. Domestic and
// EU orders at or above FreeShippingOver ship free.
func Quote(subtotal models.Money, country string) models.Money {
	zone := Zone(country)
	if zone != "international" && FreeShippingOver > 0 && subtotal.Cents >= FreeShippingOver {
		return models.Cents(0)
	}
	switch zone {
	case "domestic":
		return models.Cents(DomesticRate)
	case "eu":
		return models.Cents(EURate)
	default:
		return models.Cents(InternationalRate)
	}
}
