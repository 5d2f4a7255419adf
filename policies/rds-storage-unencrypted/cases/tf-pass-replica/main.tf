# Trap: a read replica (replicate_source_db set) inherits encryption from its source:
# no finding although storage_encrypted is not set.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_db_instance" "replica" {
  instance_class      = "db.t3.micro"
  replicate_source_db = "app-primary"
}
