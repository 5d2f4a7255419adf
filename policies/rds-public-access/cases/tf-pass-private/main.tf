# publicly_accessible false, and absent (the provider default false appears in the
# plan): no findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_db_instance" "private" {
  instance_class    = "db.t3.micro"
  engine            = "postgres"
  allocated_storage = 20
  username          = "app"
  password          = "not-a-real-password"
  storage_encrypted   = true
  publicly_accessible = false
}

resource "aws_db_instance" "default" {
  instance_class    = "db.t3.micro"
  engine            = "postgres"
  allocated_storage = 20
  username          = "app"
  password          = "not-a-real-password"
  storage_encrypted = true
}
