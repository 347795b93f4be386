//go:build !unix

package geo

func processCPUSeconds() float64 { return 0 }
