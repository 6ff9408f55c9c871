//! The logical fields of a new-hire report, shared by every format.
//!
//! Each reader fills a `[&str; N]` indexed by these constants (trimmed text as found in the
//! file), and one validator ([`crate::validate`]) turns it into a [`crate::NewHire`] or
//! errors. Each writer turns a `NewHire` into the same array of strings and lays it out.
//! So the rules live in one place and the formats only say *where* a field sits.
//!
//! Canonical text forms in the array, whatever the format: dates `CCYYMMDD` (readers
//! convert), salary in whole cents as digits, flags `Y`/`N`.

pub(crate) const SSN: usize = 0;
pub(crate) const FIRST: usize = 1;
pub(crate) const MIDDLE: usize = 2;
pub(crate) const LAST: usize = 3;
/// First field of the employee address block (10 fields, see [`ADDR`]).
pub(crate) const EMP_ADDR: usize = 4;
pub(crate) const DOB: usize = 14;
pub(crate) const DOH: usize = 15;
pub(crate) const STATE_OF_HIRE: usize = 16;
pub(crate) const FEIN: usize = 17;
pub(crate) const SEIN: usize = 18;
pub(crate) const ER_NAME: usize = 19;
/// First field of the employer address block.
pub(crate) const ER_ADDR: usize = 20;
/// First field of the employer optional (payroll / IWO) address block.
pub(crate) const OPT_ADDR: usize = 30;
pub(crate) const PHONE: usize = 40;
pub(crate) const PHONE_EXT: usize = 41;
pub(crate) const CONTACT: usize = 42;
pub(crate) const MULTISTATE: usize = 43;
pub(crate) const MEDICAL: usize = 44;
pub(crate) const SALARY: usize = 45;
pub(crate) const SALARY_FREQ: usize = 46;
/// Number of logical fields.
pub(crate) const N: usize = 47;

/// Offsets inside an address block.
pub(crate) mod addr {
    pub(crate) const LINE1: usize = 0;
    pub(crate) const LINE2: usize = 1;
    pub(crate) const LINE3: usize = 2;
    pub(crate) const CITY: usize = 3;
    pub(crate) const STATE: usize = 4;
    pub(crate) const ZIP: usize = 5;
    pub(crate) const ZIP4: usize = 6;
    pub(crate) const COUNTRY_CODE: usize = 7;
    pub(crate) const COUNTRY_NAME: usize = 8;
    pub(crate) const POSTAL: usize = 9;
    pub(crate) const LEN: usize = 10;
}

/// Canonical names: the CSV column headers, and the W4 / XX layout field names where the
/// field exists there.
pub(crate) const NAMES: [&str; N] = [
    "employee_ssn",
    "employee_first_name",
    "employee_middle_name",
    "employee_last_name",
    "employee_address_line1",
    "employee_address_line2",
    "employee_address_line3",
    "employee_city",
    "employee_state",
    "employee_zip",
    "employee_zip4",
    "employee_country_code",
    "employee_country_name",
    "employee_foreign_postal_code",
    "employee_birth_date",
    "employee_hire_date",
    "employee_state_of_hire",
    "employer_fein",
    "employer_state_ein",
    "employer_name",
    "employer_address_line1",
    "employer_address_line2",
    "employer_address_line3",
    "employer_city",
    "employer_state",
    "employer_zip",
    "employer_zip4",
    "employer_country_code",
    "employer_country_name",
    "employer_foreign_postal_code",
    "employer_optional_address_line1",
    "employer_optional_address_line2",
    "employer_optional_address_line3",
    "employer_optional_city",
    "employer_optional_state",
    "employer_optional_zip",
    "employer_optional_zip4",
    "employer_optional_country_code",
    "employer_optional_country_name",
    "employer_optional_foreign_postal_code",
    "employer_phone",
    "employer_phone_extension",
    "employer_contact",
    "employer_multistate",
    "medical_insurance_available",
    "salary",
    "salary_frequency",
];

/// XML element paths, used as the field name of XML errors (XML errors carry no position).
pub(crate) const XML_PATHS: [&str; N] = [
    "Employee/SSN",
    "Employee/FirstName",
    "Employee/MiddleName",
    "Employee/LastName",
    "Employee/Address/Line1",
    "Employee/Address/Line2",
    "Employee/Address/Line3",
    "Employee/Address/City",
    "Employee/Address/State",
    "Employee/Address/Zip5",
    "Employee/Address/Zip4",
    "Employee/Address/ForeignCountryCode",
    "Employee/Address/ForeignCountryName",
    "Employee/Address/ForeignPostalCode",
    "Employee/DateOfBirth",
    "Employee/DateOfHire",
    "Employee/StateOfHire",
    "Employer/FEIN",
    "Employer/StateEIN",
    "Employer/Name",
    "Employer/Address/Line1",
    "Employer/Address/Line2",
    "Employer/Address/Line3",
    "Employer/Address/City",
    "Employer/Address/State",
    "Employer/Address/Zip5",
    "Employer/Address/Zip4",
    "Employer/Address/ForeignCountryCode",
    "Employer/Address/ForeignCountryName",
    "Employer/Address/ForeignPostalCode",
    "Employer/OptionalAddress/Line1",
    "Employer/OptionalAddress/Line2",
    "Employer/OptionalAddress/Line3",
    "Employer/OptionalAddress/City",
    "Employer/OptionalAddress/State",
    "Employer/OptionalAddress/Zip5",
    "Employer/OptionalAddress/Zip4",
    "Employer/OptionalAddress/ForeignCountryCode",
    "Employer/OptionalAddress/ForeignCountryName",
    "Employer/OptionalAddress/ForeignPostalCode",
    "Employer/Phone",
    "Employer/PhoneExtension",
    "Employer/Contact",
    "Employer/MultistateIndicator",
    "Employee/MedicalInsuranceAvailable",
    "Employee/Salary",
    "Employee/SalaryFrequency",
];

/// Element names of an address block, in order.
pub(crate) const XML_ADDR: [&str; addr::LEN] = [
    "Line1",
    "Line2",
    "Line3",
    "City",
    "State",
    "Zip5",
    "Zip4",
    "ForeignCountryCode",
    "ForeignCountryName",
    "ForeignPostalCode",
];

/// Where a logical field was found: its name as the partner knows it, and its 1-based
/// position (byte for fixed formats, column for CSV, none for XML).
pub(crate) trait Locate {
    fn locate(&self, field: usize) -> (&'static str, Option<usize>);
}

/// One record's logical fields as owned strings (writers and the generator), reused.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawOwned {
    pub(crate) v: Vec<String>,
}

impl RawOwned {
    pub(crate) fn new() -> Self {
        Self {
            v: vec![String::new(); N],
        }
    }
}
