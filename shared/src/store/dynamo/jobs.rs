//! Report jobs, moved by conditional writes.

use super::*;

#[derive(Serialize, Deserialize)]
struct ReportJobItem {
    pk: String,
    sk: String,
    version: u64,
    #[serde(flatten)]
    job: ReportJob,
}

#[async_trait]
impl ReportJobs for DynamoStore {
    async fn get_report_job(
        &self,
        seller: &SellerId,
        marketplace: Marketplace,
        report_type: &str,
    ) -> Result<Option<Versioned<ReportJob>>, StoreError> {
        let item = self
            .get_consistent(keys::report_jobs_partition(seller), keys::report_job_sort_key(report_type, marketplace))
            .await?;
        item.map(|item| decode::<ReportJobItem>(item).map(|i| Versioned { value: i.job, version: i.version }))
            .transpose()
    }

    async fn report_jobs(&self, seller: &SellerId) -> Result<Vec<Versioned<ReportJob>>, StoreError> {
        self.query_partition(keys::report_jobs_partition(seller), true)
            .await?
            .into_iter()
            .map(|item| decode::<ReportJobItem>(item).map(|i| Versioned { value: i.job, version: i.version }))
            .collect()
    }

    async fn put_report_job(
        &self,
        seller: &SellerId,
        job: &ReportJob,
        expect: Expect,
    ) -> Result<PutOutcome, StoreError> {
        let version = expect.next_version();
        let item = ReportJobItem {
            pk: keys::report_jobs_partition(seller),
            sk: keys::report_job_sort_key(&job.report_type, job.marketplace),
            version,
            job: job.clone(),
        };
        self.put_versioned(&item.pk, &item, expect, version).await
    }
}
