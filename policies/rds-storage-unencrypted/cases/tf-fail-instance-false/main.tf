# aws_db_instance with storage_encrypted = false: the finding points at the value.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_db_instance" "db" {
  instance_class    = "db.t3.micro"
  engine            = "postgres"
  allocated_storage = 20
  username          = "app"
  password          = "not-a-real-password"
  storage_encrypted = false
}
