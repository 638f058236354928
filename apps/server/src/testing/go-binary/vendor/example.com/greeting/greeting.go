// Package greeting stands in for a third-party module. It is vendored so that the fixture
// builds offline while its build information still records a real module version.
package greeting

func Hello() string { return "hello from a vendored module" }
