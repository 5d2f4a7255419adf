# Trap: VPCs and their flow logs made with count. The flow log's vpc_id refers to
# aws_vpc.main[count.index]; references name the configuration address (instance keys removed),
# so every instance of aws_vpc.main counts as logged.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_vpc" "main" {
  count      = 2
  cidr_block = "10.${count.index}.0.0/16"
}

resource "aws_default_security_group" "default" {
  count  = 2
  vpc_id = aws_vpc.main[count.index].id
}

resource "aws_flow_log" "main" {
  count                = 2
  vpc_id               = aws_vpc.main[count.index].id
  traffic_type         = "ALL"
  log_destination_type = "s3"
  log_destination      = "arn:aws:s3:::example-flow-logs"
}
